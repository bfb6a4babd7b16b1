"""The protocol's I/O: receive and send on a connected socket, with timeouts.

A thin layer, so that the HTTP protocol does not depend on how it waits:
this one waits in the eventlet hub, on the real non-blocking socket under an
eventlet green socket (one layer fewer on every call). Under native threads
thread_sockets.py gives the protocol the same methods (connection_io.py).

With a ``TurnWriter``, what the connections send during one turn of the hub
is sent at the start of the next turn, back to back: a response waits for
the other green threads that are ready in the same turn, no longer. Sent one
by one between requests, the responses cost a third more CPU per request on
this project's machines (bench/http_bench.py): every send wakes its client
on the other core, and the requests of one turn no longer run back to back.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import eventlet
from eventlet import greenio
from eventlet import hubs
from oslo_log import log as logging

from svcframe.wsgi.connection_io import GONE_ERRNOS, RECEIVE_SIZE, PeerGone, gone

LOG = logging.getLogger(__name__)

# Past this many bytes waiting to go, a connection sends them itself, at
# once: a large or streamed response must not pile up in memory.
SEND_NOW_SIZE = 65536

def at_next_hub_turn(callback: Callable[[], None]) -> None:
    """Run ``callback`` at the hub's next turn, after the green threads ready now.

    What the requests of one turn produce (their responses, their access
    lines) then goes out together: one write instead of one each.
    """
    hubs.get_hub().schedule_call_global(0, callback)


class TurnWriter:
    """Sends what connections queued during a turn of the hub, at its next turn."""

    def __init__(self) -> None:
        self._queued: list[GreenSocketIO] = []

    def queue(self, io: GreenSocketIO) -> None:
        if not self._queued:
            at_next_hub_turn(self._flush)
        self._queued.append(io)

    def _flush(self) -> None:
        queued, self._queued = self._queued, []
        for io in queued:
            try:
                io.flush_nowait()
            except Exception:  # nothing may escape into the hub
                LOG.exception('sending a response failed')


class GreenSocketIO:
    """Receive and send on ``sock`` (a green or plain socket) from a green thread."""

    __slots__ = ('sock', 'fd', 'waited', 'writer', 'gone', 'closed', '_out', '_out_size',
                 '_queued', '_busy', '_drainer', '_timeout')

    def __init__(self, sock: socket.socket, writer: TurnWriter | None = None) -> None:
        self.sock = sock
        self.fd = getattr(sock, 'fd', sock)
        self.fd.setblocking(False)
        self.waited = False  # whether the last receive had to wait for the client
        self.writer = writer
        self.gone = False  # a deferred send found the client gone
        self.closed = False
        self._out: list[bytes] = []
        self._out_size = 0
        self._queued = False  # in the writer's list for this turn
        self._busy = False  # a green thread is blocked sending on this socket
        self._drainer: eventlet.greenthread.GreenThread | None = None
        self._timeout: float | None = None

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
            return gone(error)
        self.waited = True
        while True:
            hubs.trampoline(fd, read=True, timeout=timeout, timeout_exc=TimeoutError)
            try:
                return fd.recv(RECEIVE_SIZE)
            except BlockingIOError:
                continue
            except OSError as error:
                return gone(error)

    # Green threads are cheap: an idle connection keeps its own, waiting.
    await_request = receive

    def pause(self) -> None:
        """Let the other green threads run (between pipelined requests)."""
        eventlet.sleep(0)

    def send(self, data: bytes, timeout: float | None) -> None:
        """Send ``data`` (now, or with the writer's next turn).

        Raises PeerGone, or TimeoutError after ``timeout`` s blocked.
        """
        if self.gone:
            raise PeerGone('the client is gone')
        self._out.append(data)
        self._out_size += len(data)
        self._timeout = timeout
        if self.writer is None or self._out_size >= SEND_NOW_SIZE:
            self.flush(timeout)
        elif not (self._queued or self._busy or self._drainer):
            self._queued = True
            self.writer.queue(self)

    def flush(self, timeout: float | None) -> None:
        """Send everything queued, waiting as long as the client needs."""
        if self._drainer is not None:
            self._drainer.wait()
        if self.gone:
            raise PeerGone('the client is gone')
        self._busy = True
        try:
            while self._out:
                self._send_blocking(self._take(), timeout)
        finally:
            self._busy = False

    def flush_nowait(self) -> None:
        """The writer's turn: send what fits now; a green thread sends the rest."""
        self._queued = False
        if self._busy or self._drainer is not None or self.closed or not self._out:
            return
        data = self._take()
        try:
            sent = self.fd.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.gone = True
            return
        if sent < len(data):  # a slow client: its green thread must not hold the turn
            self._out.insert(0, data[sent:])
            self._out_size += len(data) - sent
            self._drainer = eventlet.spawn(self._drain)

    def close(self) -> None:
        """Send what is still queued, then shut the connection down."""
        try:
            if self._out and not self.gone:
                self.flush(self._timeout)
        except (OSError, TimeoutError):
            pass
        finally:
            self.closed = True
            greenio.shutdown_safe(self.sock)
            self.sock.close()

    def _drain(self) -> None:
        try:
            while self._out:
                self._send_blocking(self._take(), self._timeout)
        except (OSError, TimeoutError):
            self.gone = True
        finally:
            self._drainer = None

    def _take(self) -> bytes:
        out = self._out
        data = out[0] if len(out) == 1 else b''.join(out)
        out.clear()
        self._out_size = 0
        return data

    def _send_blocking(self, data: bytes, timeout: float | None) -> None:
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
                    self.gone = True
                    raise PeerGone(str(error)) from None
                raise
            view = view[sent:]
