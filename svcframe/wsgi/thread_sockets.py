"""The protocol's I/O on native threads: a non-blocking socket, waited on with poll().

The socket stays non-blocking, so that the common case, bytes already there
or room to send, is one system call; only when the kernel says "would block"
does the thread wait, in poll(), bounded by the timeout. A socket in
Python's timeout mode would poll before every call instead.

``await_request`` never waits: the connection's bytes of a next request
either are there or the connection goes back to the server's poller
(thread_server.py), so that an idle keep-alive connection holds no thread.
When the last receive left the kernel's buffer empty, it does not even ask
the kernel again: the poller re-arms the socket level-triggered, so bytes
that came meanwhile wake it at once. Every system call is a chance for
another thread to take the GIL, and one fewer per request shows in the
tail latency under load. Responses are sent at once, from the thread that
made them.
"""

from __future__ import annotations

import select
import socket
import time

from svcframe.wsgi.connection_io import GONE_ERRNOS, RECEIVE_SIZE, PeerGone, WentIdle
from svcframe.wsgi.connection_io import gone, shutdown

_READ = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR
_WRITE = select.POLLOUT | select.POLLHUP | select.POLLERR


class ThreadSocketIO:
    """Receive and send on ``sock`` from the native thread serving it."""

    __slots__ = ('sock', 'waited', 'closed', 'drained')

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.waited = False  # whether the last receive had to wait for the client
        self.closed = False
        # The last receive took all the kernel had, and the poller has not
        # said there is more since.
        self.drained = False

    def readable(self) -> None:
        """The poller says the client sent something (or closed)."""
        self.drained = False

    def await_request(self, timeout: float | None) -> bytes:
        """What the client sent already; WentIdle when it sent nothing yet."""
        if self.drained:
            raise WentIdle
        try:
            data = self.sock.recv(RECEIVE_SIZE)
        except BlockingIOError:
            raise WentIdle from None
        except OSError as error:
            return gone(error)
        self.waited = False
        self.drained = len(data) < RECEIVE_SIZE
        return data

    def receive(self, timeout: float | None) -> bytes:
        """The next bytes; b'' once the client closed. TimeoutError after ``timeout`` s."""
        sock = self.sock
        try:
            data = sock.recv(RECEIVE_SIZE)
            self.waited = False
            self.drained = len(data) < RECEIVE_SIZE
            return data
        except BlockingIOError:
            pass
        except OSError as error:
            return gone(error)
        self.waited = True
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            _wait(sock, _READ, deadline)
            try:
                data = sock.recv(RECEIVE_SIZE)
            except BlockingIOError:
                continue
            except OSError as error:
                return gone(error)
            self.drained = len(data) < RECEIVE_SIZE
            return data

    def send(self, data: bytes, timeout: float | None) -> None:
        """Send all of ``data``. Raises PeerGone, or TimeoutError after ``timeout`` s blocked."""
        sock = self.sock
        try:
            sent = sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError as error:
            _raise_gone(error)
        if sent == len(data):
            return
        view = memoryview(data)[sent:]
        deadline = None if timeout is None else time.monotonic() + timeout
        while view:
            _wait(sock, _WRITE, deadline)
            try:
                view = view[sock.send(view):]
            except BlockingIOError:
                continue
            except OSError as error:
                _raise_gone(error)

    def pause(self) -> None:
        """Nothing to do: the operating system shares the CPU between threads."""

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        shutdown(self.sock)
        self.sock.close()


def _wait(sock: socket.socket, events: int, deadline: float | None) -> None:
    """Block until ``sock`` is ready for ``events``; TimeoutError past ``deadline``."""
    poller = select.poll()
    poller.register(sock, events)
    while True:
        if deadline is None:
            milliseconds = None
        else:
            milliseconds = (deadline - time.monotonic()) * 1000
            if milliseconds <= 0:
                raise TimeoutError
        if poller.poll(milliseconds):
            return


def _raise_gone(error: OSError) -> None:
    if error.errno in GONE_ERRNOS:
        raise PeerGone(str(error)) from None
    raise error
