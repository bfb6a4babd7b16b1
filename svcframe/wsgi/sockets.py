"""The protocol's I/O: receive and send on a connected socket, with timeouts.

A thin layer, so that the HTTP protocol does not depend on how it waits:
this one waits in the eventlet hub, on the real non-blocking socket under an
eventlet green socket (one layer fewer on every call). A native-threads
backend would give the protocol a blocking socket with the same methods.
"""

from __future__ import annotations

import errno
import socket

from eventlet import hubs

RECEIVE_SIZE = 65536
# What a peer that went away looks like, on receive or on send.
GONE_ERRNOS = frozenset((errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN, errno.ESHUTDOWN,
                         errno.EBADF, errno.ECONNABORTED, errno.ETIMEDOUT))


class PeerGone(ConnectionError):
    """The client closed or reset its connection."""


class GreenSocketIO:
    """Receive and send on ``sock`` (a green or plain socket) from a green thread."""

    __slots__ = ('sock', 'fd', 'waited')

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.fd = getattr(sock, 'fd', sock)
        self.fd.setblocking(False)
        self.waited = False  # whether the last receive had to wait for the client

    def receive(self, timeout: float | None) -> bytes:
        """The next bytes from the client; b'' once it has closed.

        Raises TimeoutError after ``timeout`` seconds of silence (None: no limit).
        """
        fd = self.fd
        try:
            data = fd.recv(RECEIVE_SIZE)
            self.waited = False
            return data
        except BlockingIOError:
            pass
        except OSError as error:
            return self._gone(error)
        self.waited = True
        while True:
            hubs.trampoline(fd, read=True, timeout=timeout, timeout_exc=TimeoutError)
            try:
                return fd.recv(RECEIVE_SIZE)
            except BlockingIOError:
                continue
            except OSError as error:
                return self._gone(error)

    def send(self, data: bytes, timeout: float | None) -> None:
        """Send all of ``data``; raises PeerGone, or TimeoutError after ``timeout`` s blocked."""
        fd = self.fd
        view = memoryview(data)
        while view:
            try:
                sent = fd.send(view)
            except BlockingIOError:
                hubs.trampoline(fd, write=True, timeout=timeout, timeout_exc=TimeoutError)
                continue
            except OSError as error:
                if error.errno in GONE_ERRNOS:
                    raise PeerGone(str(error)) from None
                raise
            view = view[sent:]

    @staticmethod
    def _gone(error: OSError) -> bytes:
        if error.errno in GONE_ERRNOS:
            return b''
        raise error
