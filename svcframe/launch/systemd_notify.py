"""What a process tells systemd on $NOTIFY_SOCKET: READY=1 once, WATCHDOG=1 while healthy.

Read from the environment once, at launch, and taken out of it, so that no
worker nor child process of a plugin sends in the unit's name (the shipped
units say NotifyAccess=main).
"""

from __future__ import annotations

import os
import socket
from collections.abc import MutableMapping

ENVIRONMENT = ('NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID')


class Notifier:
    """Sends to systemd; does nothing outside a unit."""

    def __init__(self, address: str | None, watchdog_seconds: float | None) -> None:
        self.address = address
        # None: systemd asked for no watchdog pings (no WatchdogSec=).
        self.watchdog_seconds = watchdog_seconds if address else None

    @classmethod
    def from_environ(cls, environ: MutableMapping[str, str] = os.environ) -> Notifier:
        values = {name: environ.pop(name, None) for name in ENVIRONMENT}
        pid = values['WATCHDOG_PID']
        watchdog = None
        if values['WATCHDOG_USEC'] and (pid is None or pid == str(os.getpid())):
            try:
                watchdog = int(values['WATCHDOG_USEC']) / 1e6 or None
            except ValueError:
                watchdog = None
        return cls(values['NOTIFY_SOCKET'] or None, watchdog)

    def ready(self) -> None:
        self._send(b'READY=1')

    def watchdog(self) -> None:
        self._send(b'WATCHDOG=1')

    def _send(self, message: bytes) -> None:
        if not self.address:
            return
        # A name starting with @ is in the abstract namespace.
        address = '\0' + self.address[1:] if self.address.startswith('@') else self.address
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.sendto(message, address)
            except OSError:
                pass  # systemd gone or the socket full: nothing to do about it
