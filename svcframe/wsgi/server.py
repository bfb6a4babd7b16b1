"""svcframe's HTTP server: bound once, served by each worker, drained on stop.

The accept loop is svcframe's own, and so is the HTTP/1.1 protocol each
connection runs (protocol.py, on llhttp). How connections wait depends on the
process's backend (svcframe.backend), read when the server starts: green
threads in the eventlet hub (green_server.py), or a poller thread and a
bounded pool of native threads (thread_server.py); a process on native
threads never imports eventlet. Either way, on stop the server drains rather
than drops: it stops accepting, answers every further request with
``Connection: close``, and closes a keep-alive connection only once it has
been idle for ``DRAIN_IDLE_SECONDS``.
"""

from __future__ import annotations

import dataclasses
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from oslo_config import cfg
from oslo_log import log as logging

from svcframe import backend
from svcframe import metrics
from svcframe.conf import wsgi as wsgi_conf
from svcframe.wsgi import access_log as wsgi_access_log
from svcframe.wsgi import access_sinks
from svcframe.wsgi import connection_io
from svcframe.wsgi import parser as wsgi_parser
from svcframe.wsgi import protocol

LOG = logging.getLogger(__name__)

# While draining, a keep-alive connection idle this long is closed; one that
# is busier gets to send its next request and have it answered first.
DRAIN_IDLE_SECONDS = 1.0
DRAIN_POLL_SECONDS = 0.05
# With several workers, the others may hold the listening socket a moment
# longer: a client told to reconnect before the last one has closed it could
# land in its queue and be reset. Keep-alive goes on for this long first.
SHARED_SOCKET_CLOSE_SECONDS = 0.5
# With several workers on one socket, a worker waits this long per open
# connection before accepting the next, so idler workers take new ones.
SPREAD_SECONDS_PER_CONNECTION = 0.0005


class FileWrapper:
    """wsgi.file_wrapper: a file sent in blocks, closed with the response."""

    def __init__(self, file: object, block_size: int = 65536) -> None:
        self.file = file
        self.block_size = block_size
        close = getattr(file, 'close', None)
        if close is not None:
            self.close = close

    def __iter__(self) -> Iterator[bytes]:
        read = self.file.read
        while block := read(self.block_size):
            yield block


@dataclasses.dataclass
class ServerSettings:
    """The [wsgi] options the server uses, read once per (re)load."""

    pool_size: int
    backlog: int
    keep_alive: bool
    client_socket_timeout: int
    header_timeout: int
    keep_alive_timeout: int
    tcp_keepidle: int
    limits: wsgi_parser.Limits
    access_log: wsgi_access_log.AccessLog | None
    threads: int = wsgi_conf.THREADS_DEFAULT  # native threads answering requests

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, binary: str = 'svcframe-api') -> ServerSettings:
        """Raises ConfigError for a wsgi_log_format with an unknown key."""
        wsgi = conf.wsgi
        return cls(pool_size=wsgi.default_pool_size, backlog=wsgi.backlog,
                   keep_alive=wsgi.keep_alive,
                   client_socket_timeout=wsgi.client_socket_timeout,
                   header_timeout=wsgi.header_timeout,
                   keep_alive_timeout=wsgi.keep_alive_timeout,
                   tcp_keepidle=wsgi.tcp_keepidle,
                   limits=wsgi_parser.Limits(request_line=wsgi.max_request_line,
                                             header_line=wsgi.max_header_line,
                                             header_size=wsgi.max_header_size,
                                             header_count=wsgi.max_header_count),
                   access_log=wsgi_access_log.AccessLog.from_conf(
                       conf, binary, defer=_access_log_defer()),
                   threads=wsgi.threads)

    def apply(self, policy: protocol.Policy) -> None:
        """Make the connections follow these settings."""
        policy.limits = self.limits
        policy.header_timeout = self.header_timeout
        policy.keep_alive_timeout = self.keep_alive_timeout
        policy.body_timeout = self.client_socket_timeout or None
        policy.keep_alive = self.keep_alive
        policy.access_log = self.access_log


def _access_log_defer() -> access_sinks.Defer | None:
    """Green threads batch the access lines of a hub turn; native threads write each."""
    if backend.current() == backend.EVENTLET:
        from svcframe.wsgi import sockets
        return sockets.at_next_hub_turn
    return None


class Serving(Protocol):
    """How a server's connections are accepted and wait: green or native threads."""

    def start(self) -> None: ...

    def in_flight(self) -> int:
        """Requests being read or answered (safe to call from any thread)."""

    def stop_accepting(self) -> None:
        """Close the listening socket, after taking what the kernel queued."""

    def sleep(self, seconds: float) -> None: ...

    def finish(self) -> None:
        """Close connections idle for DRAIN_IDLE_SECONDS; return once none is left."""


class WSGIServer:
    """Serves one WSGI app; knows nothing of workers or signals."""

    def __init__(self, name: str, app: Callable, host: str, port: int,
                 settings: ServerSettings,
                 spread_connections: bool = False) -> None:
        self.name = name
        self.app = app
        self.host = host
        self.port = port
        self.settings = settings
        self.spread_connections = spread_connections
        self._socket: socket.socket | None = None
        self._policy: protocol.Policy | None = None
        self._serving: Serving | None = None
        self._stopping = False
        self._stopped = threading.Event()

    def listen(self) -> tuple[str, int]:
        """Bind and listen; call once, before worker processes fork."""
        family = socket.AF_INET6 if ':' in self.host else socket.AF_INET
        info = socket.getaddrinfo(self.host, self.port, family,
                                  socket.SOCK_STREAM)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        try:
            # SO_REUSEADDR but no SO_REUSEPORT: a second server on the same
            # port must fail, not quietly share it.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(info[4])
            sock.listen(self.settings.backlog)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            # Accepted connections inherit these on Linux.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE,
                            self.settings.tcp_keepidle)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.host, self.port = sock.getsockname()[:2]
        LOG.info('%s listening on %s', self.name, self.url)
        return self.host, self.port

    @property
    def url(self) -> str:
        host = '[%s]' % self.host if ':' in self.host else self.host
        return 'http://%s:%d' % (host, self.port)

    def start(self) -> None:
        """Serve on the listening socket from this process, on its backend's threads."""
        if self._socket is None:
            self.listen()
        self._policy = protocol.Policy(self.settings.limits, 0, 0, None)
        self.settings.apply(self._policy)
        self._serving = self._make_serving(backend.current())
        if metrics.current.enabled:
            self._policy.http_stats = metrics.current.http
            metrics.current.http.count_in_flight = self._serving.in_flight
        self._serving.start()

    @property
    def policy(self) -> protocol.Policy | None:
        """What every connection follows; None before start()."""
        return self._policy

    def _make_serving(self, name: str) -> Serving:
        if name == backend.EVENTLET:
            from svcframe.wsgi import green_server
            return green_server.GreenServing(self, self._socket)
        from svcframe.wsgi import thread_server
        return thread_server.ThreadServing(self, self._socket)

    def reset(self, settings: ServerSettings) -> None:
        """Apply the mutable settings of a reloaded configuration."""
        self.settings = settings
        if self._policy is not None and not self._stopping:
            settings.apply(self._policy)

    def new_connection(self, io: connection_io.ConnectionIO,
                       address: tuple) -> protocol.Connection:
        """A Connection of this server's app and policy, on ``io``."""
        assert self._policy is not None
        return protocol.Connection(io, self.app, self._connection_environ(io.sock, address),
                                   self._policy)

    def _connection_environ(self, client: socket.socket, address: tuple) -> dict:
        """The environ keys that stay the same for every request of a connection."""
        server_address = client.getsockname()
        return {
            'GATEWAY_INTERFACE': 'CGI/1.1',
            'SCRIPT_NAME': '',
            'SERVER_NAME': self.host,
            'SERVER_PORT': str(server_address[1]),
            'REMOTE_ADDR': address[0],
            'REMOTE_PORT': str(address[1]),
            'wsgi.version': (1, 0),
            'wsgi.url_scheme': 'http',
            'wsgi.errors': sys.stderr,
            'wsgi.multithread': True,
            'wsgi.multiprocess': self.spread_connections,
            'wsgi.run_once': False,
            'wsgi.input_terminated': True,
            'wsgi.file_wrapper': FileWrapper,
        }

    def stop(self) -> None:
        """Drain: stop accepting, finish every request, close every connection.

        Safe before start() (it closes the listening socket, as a supervisor
        that never serves must) and when called twice. The caller bounds it
        with graceful_shutdown_timeout.
        """
        if self._stopping:
            return
        self._stopping = True
        try:
            if self._serving is not None:
                self._drain(self._serving)
            elif self._socket is not None:
                self._socket.close()
        finally:
            self._stopped.set()

    def _drain(self, serving: Serving) -> None:
        serving.stop_accepting()
        if self.spread_connections:  # the socket is shared by workers
            serving.sleep(SHARED_SOCKET_CLOSE_SECONDS)
        self._policy.keep_alive = False  # every response says close
        serving.finish()
        if self._policy.access_log is not None:
            self._policy.access_log.flush()

    def wait(self) -> None:
        self._stopped.wait()
