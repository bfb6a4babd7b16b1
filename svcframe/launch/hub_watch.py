"""Watching the event hub: pings that stop when it is stuck, and a warning with the stack.

A plugin that blocks eventlet's hub (a C library call, a time.sleep that was
not monkey-patched) leaves a process that looks alive and serves nothing.

* Pinger calls ``ping`` every ``period`` seconds from a green thread: only
  while the hub runs. It feeds systemd's watchdog (directly, or through the
  supervisor for a worker), so a stuck hub gets the process restarted.
* BlockWatch has a green thread note the time every quarter of
  ``threshold``, and an OS thread look at that note: when the hub has not
  run for ``threshold`` seconds, the OS thread takes the stack of the code
  holding it, and the green thread logs it in one WARNING once the hub runs
  again. Two wake-ups per ``threshold``: nothing measurable when nothing
  blocks.

Under monkey-patching, ``threading`` is green; the OS thread comes from
eventlet's unpatched modules. Without eventlet both are OS threads, and
nothing is ever reported as blocked.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import ModuleType

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


def _unpatched(name: str) -> ModuleType:
    if sys.modules.get('eventlet') is not None:  # None: kept out (svcframe.backend)
        from eventlet import patcher
        return patcher.original(name)
    return sys.modules[name] if name in sys.modules else __import__(name)


class Pinger:
    def __init__(self, period: float, ping: Callable[[], None]) -> None:
        self.period = period
        self.ping = ping
        self._stopped = threading.Event()

    def start(self) -> None:
        self.ping()
        threading.Thread(target=self._run, name='watchdog-ping', daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self.period):
            self.ping()


class BlockWatch:
    def __init__(self, threshold: float, binary: str) -> None:
        self.threshold = threshold
        self.binary = binary
        self._noted = time.monotonic()
        self._hub_thread: int | None = None
        self._blocked: tuple[float, str] | None = None  # (since, stack)
        self._stopped = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._note, name='hub-note', daemon=True).start()
        watcher = _unpatched('threading').Thread(target=self._watch, name='hub-watch',
                                                 daemon=True)
        watcher.start()

    def stop(self) -> None:
        self._stopped.set()

    def _note(self) -> None:
        # Runs on the hub's OS thread: its id names the stack to take.
        self._hub_thread = _unpatched('threading').get_ident()
        while not self._stopped.wait(self.threshold / 4):
            self._noted = time.monotonic()
            if self._blocked is not None:
                self._report()

    def _report(self) -> None:
        since, stack = self._blocked
        self._blocked = None
        LOG.warning('%s: the event hub was blocked for %.1f s; nothing else ran meanwhile. '
                    'What held it:\n%s', self.binary, time.monotonic() - since, stack)

    def _watch(self) -> None:
        sleep = _unpatched('time').sleep
        while not self._stopped.is_set():
            sleep(self.threshold / 4)
            stalled = time.monotonic() - self._noted
            if stalled >= self.threshold and self._blocked is None:
                frame = sys._current_frames().get(self._hub_thread)
                stack = ''.join(traceback.format_stack(frame)) if frame else '(no stack)'
                self._blocked = (self._noted, stack)
