"""Serving on native threads: one poller thread, a bounded pool of workers.

The shape of gunicorn's gthread worker. The poller thread owns the listening
socket and every idle connection, in one epoll set; a connection goes to a
worker thread only once it has bytes to read, and the worker serves it
until it would wait idle again (protocol.Connection.serve() returns True),
then hands it back. So an idle keep-alive connection holds no thread:
``[wsgi] default_pool_size`` bounds the open connections, as under eventlet,
and ``[wsgi] threads`` the requests answered at once. The workers are woken
only as the work needs them (thread_pool.py): threads taking turns at the
GIL cost more than they give.

Idle connections are registered EPOLLONESHOT: an event disarms the
connection, so it goes to exactly one worker, and the worker re-arms it
itself with epoll_ctl, which Linux allows while the poller waits. A request
then costs the poller one wake-up and no system call of its own, and the
workers no pipe to wake it.

The deadlines the green server keeps by waiting with a timeout are kept
here by the poller for idle connections (header_timeout until a new
connection's first byte, keep_alive_timeout between requests) and by the
worker for the rest (from a head's first byte, body reads, sends).
"""

from __future__ import annotations

import select
import socket
import threading
import time

from oslo_log import log as logging

from svcframe.wsgi import protocol
from svcframe.wsgi import server as wsgi_server
from svcframe.wsgi import thread_pool
from svcframe.wsgi import thread_sockets

LOG = logging.getLogger(__name__)

_IDLE_EVENTS = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLONESHOT
# How often the poller looks for idle connections past their deadline: the
# deadlines are whole seconds, and a little late is fine.
EXPIRY_SCAN_SECONDS = 0.25


class ThreadServing:
    """The connections of ``server``: idle ones in a poller, busy ones in worker threads."""

    def __init__(self, server: wsgi_server.WSGIServer, sock: socket.socket) -> None:
        self.server = server
        self._listener = sock
        self._listener_fd = sock.fileno()  # kept: the socket's own is -1 once closed
        # Made by start(): the epoll set, and a socket pair that wakes the poller.
        self._epoll: select.epoll = None  # type: ignore[assignment]
        self._wake_in: socket.socket = None  # type: ignore[assignment]
        self._wake_out: socket.socket = None  # type: ignore[assignment]
        self._workers = thread_pool.WorkerPool(server.settings.threads, server.name,
                                               self._serve)
        self._connections: dict[int, protocol.Connection] = {}  # by fd, every open one
        self._parked: dict[int, protocol.Connection] = {}  # by fd, armed in the epoll set
        self._accepting = True  # the listener is in the epoll set with EPOLLIN
        self._listener_lock = threading.Lock()
        self._resume_accepting_at = 0.0  # spread_connections: not before then
        self._stop_accepting = threading.Event()
        self._accepting_stopped = threading.Event()
        self._draining = False
        self._finished = False
        self._poller: threading.Thread | None = None

    # --- the public side (any thread) ---

    def start(self) -> None:
        self._epoll = select.epoll()
        self._wake_in, self._wake_out = socket.socketpair()
        self._listener.setblocking(False)
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        self._epoll.register(self._listener_fd, select.EPOLLIN)
        self._epoll.register(self._wake_in.fileno(), select.EPOLLIN)
        name = self.server.name
        self._poller = threading.Thread(target=self._poll_loop, daemon=True,
                                        name='%s-poller' % name)
        self._workers.start()
        self._poller.start()

    def in_flight(self) -> int:
        return protocol.count_busy(self._connections.copy().values())

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def stop_accepting(self) -> None:
        self._stop_accepting.set()
        self._wake()
        self._accepting_stopped.wait()
        LOG.info('%s stopped accepting; draining %d connections', self.server.name,
                 len(self._connections))

    def finish(self) -> None:
        self._draining = True
        self._wake()
        while self._connections:
            time.sleep(wsgi_server.DRAIN_POLL_SECONDS)
        self._finished = True
        self._wake()
        self._poller.join()
        self._workers.stop()
        self._epoll.close()
        self._wake_in.close()
        self._wake_out.close()

    def _wake(self) -> None:
        try:
            self._wake_out.send(b'.')
        except OSError:
            pass  # full: the poller has wake-ups to read already

    # --- the poller thread ---

    def _poll_loop(self) -> None:
        next_scan = time.monotonic() + EXPIRY_SCAN_SECONDS
        while not self._finished:
            try:
                next_scan = self._poll_once(next_scan)
            except Exception:  # the poller must outlive any one connection's trouble
                LOG.exception('%s: the connection poller failed; it goes on', self.server.name)

    def _poll_once(self, next_scan: float) -> float:
        """Dispatch what is ready, then keep the deadlines; the next scan's time."""
        now = time.monotonic()
        timeout = next_scan - now
        if self._resume_accepting_at:
            timeout = min(timeout, self._resume_accepting_at - now)
        stall_check = self._workers.watch(now)
        if stall_check is not None:
            timeout = min(timeout, stall_check)
        for fd, _mask in self._epoll.poll(max(0.0, timeout)):
            if fd == self._listener_fd:
                self._accept()
            elif fd == self._wake_in.fileno():
                self._read_wake_ups()
            else:
                connection = self._parked.pop(fd, None)
                if connection is not None:
                    self._workers.submit(connection)
        if self._stop_accepting.is_set() and not self._accepting_stopped.is_set():
            self._close_listener()
        now = time.monotonic()
        if now >= next_scan:
            self._close_expired(now)
            next_scan = now + (wsgi_server.DRAIN_POLL_SECONDS if self._draining
                               else EXPIRY_SCAN_SECONDS)
        if self._resume_accepting_at and now >= self._resume_accepting_at:
            self._resume_accepting_at = 0.0
            self._resume_accepting()
        return next_scan

    def _read_wake_ups(self) -> None:
        try:
            while self._wake_in.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _accept(self) -> None:
        try:
            client, address = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return  # another worker process took it
        except OSError as error:
            LOG.warning('%s: accept failed: %s', self.server.name, error)
            return
        self._open(client, address)
        connections = len(self._connections)
        if connections >= self.server.settings.pool_size:
            self._pause_accepting()
        elif self.server.spread_connections:
            # Let idler worker processes take the next ones.
            self._resume_accepting_at = (
                time.monotonic() + wsgi_server.SPREAD_SECONDS_PER_CONNECTION * connections)
            self._pause_accepting()

    def _open(self, client: socket.socket, address: tuple) -> None:
        connection = self.server.new_connection(thread_sockets.ThreadSocketIO(client), address)
        fd = client.fileno()
        self._connections[fd] = connection
        self._park(fd, connection, register=True)

    def _close_listener(self) -> None:
        """Take what the kernel has queued, then close the listening socket.

        When the last process closes the socket, a queued connection would
        be reset, and its client may already have sent a request on it.
        """
        with self._listener_lock:
            self._accepting = False
            # Out of the set before it is closed: the supervisor and the
            # other workers keep the socket open, and so would the epoll
            # set keep reporting it, under a file descriptor closed here.
            self._epoll.unregister(self._listener_fd)
            while True:
                try:
                    client, address = self._listener.accept()
                except OSError:
                    break
                self._open(client, address)
            self._listener.close()
            self._accepting_stopped.set()

    def _close_expired(self, now: float) -> None:
        """Close the idle connections past their deadline (sooner while draining)."""
        policy = self.server.policy
        for fd, connection in list(self._parked.items()):
            limit = policy.keep_alive_timeout if connection.served else policy.header_timeout
            if self._draining:
                limit = min(limit, wsgi_server.DRAIN_IDLE_SECONDS)
            if now - connection.idle_since >= limit and self._parked.pop(fd, None) is connection:
                self._close(fd, connection)

    # --- the listener's place in the epoll set ---

    def _pause_accepting(self) -> None:
        with self._listener_lock:
            if self._accepting:
                self._accepting = False
                self._epoll.modify(self._listener_fd, 0)
        if self._resume_accepting_at == 0.0 and self._has_room():
            self._resume_accepting()  # a worker closed one meanwhile

    def _resume_accepting(self) -> None:
        with self._listener_lock:
            if (not self._accepting and not self._stop_accepting.is_set()
                    and self._resume_accepting_at == 0.0 and self._has_room()):
                self._accepting = True
                self._epoll.modify(self._listener_fd, select.EPOLLIN)

    def _has_room(self) -> bool:
        return len(self._connections) < self.server.settings.pool_size

    # --- worker threads ---

    def _serve(self, connection: protocol.Connection) -> None:
        """Serve what the client sent, then park the connection or close it."""
        fd = connection.io.sock.fileno()
        connection.io.readable()
        try:
            idle = connection.serve()
        except Exception:
            LOG.exception('%s: the connection from %s failed', self.server.name,
                          connection.base_environ['REMOTE_ADDR'])
            idle = False
        try:
            if idle:
                self._park(fd, connection)
            else:
                self._close(fd, connection)
        except Exception:  # a worker lost is a thread fewer for good
            LOG.exception('%s: handing a connection back failed', self.server.name)

    def _park(self, fd: int, connection: protocol.Connection, register: bool = False) -> None:
        """Give an idle connection to the poller (from the poller or a worker)."""
        self._parked[fd] = connection  # before arming: its event may come at once
        try:
            if register:
                self._epoll.register(fd, _IDLE_EVENTS)
            else:
                self._epoll.modify(fd, _IDLE_EVENTS)
        except OSError:  # the epoll set is closed: the server stopped
            self._parked.pop(fd, None)
            self._close(fd, connection)

    def _close(self, fd: int, connection: protocol.Connection) -> None:
        del self._connections[fd]  # before the fd is closed and may be reused
        connection.io.close()  # closing the fd takes it out of the epoll set
        if not self._accepting:
            self._resume_accepting()
