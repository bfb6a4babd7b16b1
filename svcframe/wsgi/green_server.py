"""Serving under eventlet: an accept loop and one green thread per connection.

Each connection keeps its green thread while idle between requests (they
are cheap), so ``[wsgi] default_pool_size`` bounds the connections. What the
connections send in one hub turn goes out together (sockets.TurnWriter).
"""

from __future__ import annotations

import errno
import socket
import time

import eventlet
from eventlet import greenio
from oslo_log import log as logging

from svcframe.wsgi import protocol
from svcframe.wsgi import server as wsgi_server
from svcframe.wsgi import sockets

LOG = logging.getLogger(__name__)


class GreenServing:
    """The connections of ``server`` in green threads of this process's hub."""

    def __init__(self, server: wsgi_server.WSGIServer, sock: socket.socket) -> None:
        self.server = server
        if not isinstance(sock, greenio.GreenSocket):
            sock = greenio.GreenSocket(sock)
        self._socket = sock
        self._writer = sockets.TurnWriter()
        self._pool = eventlet.GreenPool(server.settings.pool_size)
        self._accept_thread: eventlet.greenthread.GreenThread | None = None
        self._connections: dict[int, protocol.Connection] = {}

    def start(self) -> None:
        self._accept_thread = eventlet.spawn(self._accept_loop)

    def in_flight(self) -> int:
        return protocol.count_busy(list(self._connections.values()))

    def sleep(self, seconds: float) -> None:
        eventlet.sleep(seconds)

    def _accept_loop(self) -> None:
        spread = self.server.spread_connections
        while True:
            if spread and self._connections:
                eventlet.sleep(wsgi_server.SPREAD_SECONDS_PER_CONNECTION
                               * len(self._connections))
            try:
                client, address = self._socket.accept()
            except OSError as error:
                if error.errno in (errno.EBADF, errno.EINVAL):
                    return  # the socket was closed
                LOG.warning('%s: accept failed: %s', self.server.name, error)
                continue
            self._serve(client, address)

    def _serve(self, client: socket.socket, address: tuple) -> None:
        connection = self.server.new_connection(
            sockets.GreenSocketIO(client, self._writer), address)
        self._connections[id(connection)] = connection
        self._pool.spawn_n(self._handle, connection)

    def _handle(self, connection: protocol.Connection) -> None:
        try:
            connection.serve()
        except Exception:
            LOG.exception('%s: the connection from %s failed', self.server.name,
                          connection.base_environ['REMOTE_ADDR'])
        finally:
            del self._connections[id(connection)]
            connection.io.close()

    def stop_accepting(self) -> None:
        self._accept_thread.kill()
        # Take what the kernel has already queued: when the last process
        # closes the socket, a queued connection would be reset, and its
        # client may already have sent a request on it.
        self._socket.setblocking(False)
        while True:
            try:
                # Non-blocking, eventlet hands back the plain socket.
                client, address = self._socket.accept()
            except OSError:
                break
            self._serve(greenio.GreenSocket(client), address)
        self._socket.close()
        LOG.info('%s stopped accepting; draining %d connections', self.server.name,
                 len(self._connections))

    def finish(self) -> None:
        while self._connections:
            now = time.monotonic()
            for connection in list(self._connections.values()):
                if (connection.idle
                        and now - connection.idle_since >= wsgi_server.DRAIN_IDLE_SECONDS):
                    greenio.shutdown_safe(connection.io.sock)
            eventlet.sleep(wsgi_server.DRAIN_POLL_SECONDS)
        self._pool.waitall()
