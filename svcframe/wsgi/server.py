"""svcframe's eventlet WSGI server: bound once, served by each worker, drained on stop.

The accept loop is svcframe's own; each connection is then handled by
``eventlet.wsgi``'s HTTP protocol from a green-thread pool. eventlet's own
``wsgi.server()`` loop closes idle keep-alive connections the moment it
stops, which resets a request a client had just sent on one. svcframe drains
instead (``stop()``): it stops accepting, answers every further request with
``Connection: close``, and closes a keep-alive connection only once it has
been idle for ``DRAIN_IDLE_SECONDS``.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import logging as std_logging
import socket
import time
from collections.abc import Callable

import eventlet
import eventlet.wsgi
from eventlet import event
from eventlet import greenio
from oslo_config import cfg
from oslo_log import log as logging

from svcframe import exception
from svcframe.wsgi import headers as wsgi_headers
from svcframe.wsgi import request_line as wsgi_request_line

LOG = logging.getLogger(__name__)
ACCESS_LOGGER_NAME = 'svcframe.wsgi.access'

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

# eventlet's connection state list: [address, socket, state]; svcframe adds
# the time the connection last became idle.
ADDRESS, SOCKET, STATE, IDLE_SINCE = range(4)


@dataclasses.dataclass
class ServerSettings:
    """The [wsgi] options the server uses, read once per (re)load."""

    pool_size: int
    backlog: int
    keep_alive: bool
    client_socket_timeout: int
    tcp_keepidle: int
    max_header_line: int
    log_format: str

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> ServerSettings:
        """Raises ConfigError for a wsgi_log_format with an unknown key."""
        wsgi = conf.wsgi
        check_log_format(wsgi.wsgi_log_format)
        return cls(pool_size=wsgi.default_pool_size, backlog=wsgi.backlog,
                   keep_alive=wsgi.keep_alive,
                   client_socket_timeout=wsgi.client_socket_timeout,
                   tcp_keepidle=wsgi.tcp_keepidle,
                   max_header_line=wsgi.max_header_line,
                   log_format=wsgi.wsgi_log_format)


def check_log_format(log_format: str) -> None:
    sample = dict(client_ip='127.0.0.1', date_time='', request_line='GET / HTTP/1.1',
                  status_code='200', body_length='0', wall_seconds=0.0)
    try:
        log_format % sample
    except (KeyError, ValueError, TypeError) as error:
        raise exception.InvalidOptionValue(
            'wsgi', 'wsgi_log_format', log_format,
            'a %%-format using only the keys %s (%s: %s)'
            % (', '.join(sorted(sample)), type(error).__name__, error)) from None


class AccessLog:
    """Where eventlet writes its line per request: logger ``svcframe.wsgi.access``.

    The record goes straight to the standard logger's handlers: an access
    line has no caller worth looking up and no keyword arguments for oslo's
    adapter, and those two steps cost more than a third of the line's time
    on every request (bench/http_bench.py). The handlers, and so the format,
    are the ones the operator configured through oslo.log.
    """

    def __init__(self, logger: std_logging.Logger) -> None:
        self.logger = logger

    def info(self, message: str) -> None:
        if self.logger.isEnabledFor(std_logging.INFO):
            self.logger.handle(self.logger.makeRecord(
                self.logger.name, std_logging.INFO, __file__, 0, message, None, None))

    def debug(self, message: str) -> None:
        # eventlet's note that a client reset its connection.
        if self.logger.isEnabledFor(std_logging.DEBUG):
            self.logger.debug(message)

    def error(self, message: str, *args: object) -> None:
        self.logger.error(message, *args)


class HttpProtocol(eventlet.wsgi.HttpProtocol):
    """eventlet's protocol, with JSON errors and idle-time tracking."""

    # The Server header of the protocol's own error answers; the default
    # names the Python version, which is nobody's business.
    server_version = 'svcframe'
    sys_version = ''

    def log_message(self, format: str, *args: object) -> None:
        # Requests the protocol rejects itself (bad request line, ...); the
        # standard library would print these on stderr.
        LOG.info('%s: ' + format, self.client_address[0], *args)

    def handle_one_request(self) -> None:
        self.conn_state[IDLE_SINCE] = time.monotonic()
        # A keep-alive client's next request is often already buffered; read
        # without yielding, one busy connection would starve the others.
        eventlet.sleep(0)
        super().handle_one_request()

    def parse_request(self) -> bool:
        """Read the request line and headers; False once an error is sent.

        Sets what ``http.server.BaseHTTPRequestHandler.parse_request`` sets,
        through svcframe's own parsers (request_line.py, headers.py).
        """
        self.command = None
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, 'iso-8859-1').rstrip('\r\n')
        if not self.requestline.strip():
            return False  # a stray blank line: close without an answer, as http.server does
        try:
            line = wsgi_request_line.parse(self.requestline)
        except wsgi_request_line.BadRequestLine as error:
            self.send_error(error.status, str(error))
            return False
        self.command, self.path, self.request_version = line.method, line.path, line.version
        try:
            self.headers = wsgi_headers.read_headers(self.rfile)
        except wsgi_headers.TooManyHeaders as error:
            self.send_error(431, 'Too many headers', str(error))
            return False
        except wsgi_headers.BadHeaders as error:
            self.send_error(400, str(error))
            return False
        connection = self.headers.get('Connection', '').lower()
        self.close_connection = not (
            connection != 'close'
            and (line.keep_alive or connection == 'keep-alive'))
        # No Expect: 100-continue step here: eventlet answers it itself, once
        # the application reads the body.
        return True

    def get_environ(self) -> dict:
        environ = super().get_environ()
        # eventlet's wsgi.input ends where the body ends, chunked or not;
        # without this flag webob reads a chunked body as empty.
        environ['wsgi.input_terminated'] = True
        return environ

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """Answer a request the protocol itself rejects (bad request line, ...)."""
        title, description = self.responses.get(code, ('Error', ''))
        body = json.dumps({'error': {'code': code, 'title': title,
                                     'message': message or description}})
        # A request line too broken to name a version leaves HTTP/0.9, which
        # would get a bare body; every client today reads HTTP/1.x.
        if self.request_version == 'HTTP/0.9':
            self.request_version = 'HTTP/1.0'
        self.send_response(code, title)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        if getattr(self, 'command', None) != 'HEAD':
            self.wfile.write(body.encode())


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
        self._server: eventlet.wsgi.Server | None = None
        self._pool: eventlet.GreenPool | None = None
        self._accept_thread: eventlet.greenthread.GreenThread | None = None
        self._connections: dict[int, list] = {}
        self._stopping = False
        self._stopped = event.Event()

    def listen(self) -> tuple[str, int]:
        """Bind and listen; call once, before worker processes fork."""
        family = socket.AF_INET6 if ':' in self.host else socket.AF_INET
        info = socket.getaddrinfo(self.host, self.port, family,
                                  socket.SOCK_STREAM)[0]
        # No SO_REUSEPORT (eventlet's default for a fixed port): a second
        # server on the same port must fail, not quietly share it.
        sock = eventlet.listen(info[4], info[0], backlog=self.settings.backlog,
                               reuse_port=False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        # Accepted connections inherit these on Linux.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE,
                        self.settings.tcp_keepidle)
        self._socket = sock
        self.host, self.port = sock.getsockname()[:2]
        LOG.info('%s listening on %s', self.name, self.url)
        return self.host, self.port

    @property
    def url(self) -> str:
        host = '[%s]' % self.host if ':' in self.host else self.host
        return 'http://%s:%d' % (host, self.port)

    def start(self) -> None:
        """Serve on the listening socket from this process."""
        if self._socket is None:
            self.listen()
        # eventlet reads the header line limit from a module global.
        eventlet.wsgi.MAX_HEADER_LINE = self.settings.max_header_line
        self._pool = eventlet.GreenPool(self.settings.pool_size)
        self._server = eventlet.wsgi.Server(
            self._socket, self._socket.getsockname(), self.app,
            log=AccessLog(logging.getLogger(ACCESS_LOGGER_NAME).logger),
            protocol=HttpProtocol, debug=False,
            keepalive=self.settings.keep_alive,
            log_format=self.settings.log_format,
            socket_timeout=self.settings.client_socket_timeout or None)
        self._accept_thread = eventlet.spawn(self._accept_loop)

    def reset(self, settings: ServerSettings) -> None:
        """Apply the mutable settings of a reloaded configuration."""
        self.settings = settings
        if self._server is not None and not self._stopping:
            self._server.keepalive = settings.keep_alive
            self._server.log_format = settings.log_format
            self._server.socket_timeout = settings.client_socket_timeout or None

    def _accept_loop(self) -> None:
        assert self._socket is not None
        while True:
            if self.spread_connections and self._connections:
                eventlet.sleep(SPREAD_SECONDS_PER_CONNECTION
                               * len(self._connections))
            try:
                client, address = self._socket.accept()
            except OSError as error:
                if error.errno in (errno.EBADF, errno.EINVAL):
                    return  # the socket was closed
                LOG.warning('%s: accept failed: %s', self.name, error)
                continue
            self._serve(client, address)

    def _serve(self, client: socket.socket, address: tuple) -> None:
        client.settimeout(self._server.socket_timeout)
        connection = [address, client, eventlet.wsgi.STATE_IDLE, time.monotonic()]
        self._connections[id(connection)] = connection
        self._pool.spawn_n(self._handle, connection)

    def _handle(self, connection: list) -> None:
        try:
            self._server.process_request(connection)
        except OSError as error:
            LOG.debug('%s: connection from %s ended: %s', self.name,
                      connection[ADDRESS], error)
        finally:
            del self._connections[id(connection)]
            connection[STATE] = eventlet.wsgi.STATE_CLOSE
            greenio.shutdown_safe(connection[SOCKET])
            connection[SOCKET].close()

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
            if self._server is not None:
                self._stop_accepting()
                if self.spread_connections:  # the socket is shared by workers
                    eventlet.sleep(SHARED_SOCKET_CLOSE_SECONDS)
                self._server.keepalive = False  # every response says close
                self._close_connections_when_idle()
                self._pool.waitall()
            elif self._socket is not None:
                self._socket.close()
        finally:
            self._stopped.send()

    def _stop_accepting(self) -> None:
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
        LOG.info('%s stopped accepting; draining %d connections', self.name,
                 len(self._connections))

    def _close_connections_when_idle(self) -> None:
        while self._connections:
            now = time.monotonic()
            for connection in list(self._connections.values()):
                if (connection[STATE] == eventlet.wsgi.STATE_IDLE
                        and now - connection[IDLE_SINCE] >= DRAIN_IDLE_SECONDS):
                    connection[STATE] = eventlet.wsgi.STATE_CLOSE
                    greenio.shutdown_safe(connection[SOCKET])
            eventlet.sleep(DRAIN_POLL_SECONDS)

    def wait(self) -> None:
        self._stopped.wait()
