"""One HTTP/1.1 connection: requests in, WSGI calls, responses out, in order.

``Connection.serve()`` reads requests through the parser (parser.py), runs
the WSGI app for each with a streaming wsgi.input (body.py) and frames its
response (response.py), until the client closes, a timeout ends it, a
response ends it, or the server drains. On an I/O that parks idle
connections in a poller (thread_server.py), it also returns when the
connection would wait idle for its next request, and resumes from there
when called again: the parser and the count served stay with the
Connection. Everything the server refuses is answered with the API's JSON
error and an ``x-openstack-request-id``.
"""

from __future__ import annotations

import dataclasses
import http
import json
import time
from collections.abc import Callable, Iterable
from urllib.parse import unquote_to_bytes

from oslo_log import log as logging

from svcframe import http_metrics
from svcframe import request_ids
from svcframe.wsgi import access_log as wsgi_access_log
from svcframe.wsgi import body as wsgi_body
from svcframe.wsgi import connection_io
from svcframe.wsgi import parser as wsgi_parser
from svcframe.wsgi import response as wsgi_response
from svcframe.wsgi.connection_io import PeerGone

LOG = logging.getLogger(__name__)

# Most bytes of an unread body that are read and dropped to keep the
# connection for the next request; past it the connection is closed.
DISCARD_LIMIT = 1 << 20
# Requests served back to back from bytes already received before this
# connection lets the other green threads run.
REQUESTS_BEFORE_YIELD = 8


@dataclasses.dataclass
class Policy:
    """What every connection of a server follows; changed in place on reload and drain."""

    limits: wsgi_parser.Limits
    header_timeout: float
    keep_alive_timeout: float
    body_timeout: float | None  # reading a body or sending a response; None: forever
    keep_alive: bool = True
    access_log: wsgi_access_log.AccessLog | None = None
    http_stats: http_metrics.HTTPStats | None = None  # when metrics are on


class Connection:
    """Serves the requests of one client connection."""

    def __init__(self, io: connection_io.ConnectionIO, app: Callable,
                 environ: dict, policy: Policy) -> None:
        self.io = io
        self.app = app
        self.base_environ = environ  # the per-connection keys (addresses, wsgi.*)
        self.policy = policy
        self.parser = wsgi_parser.RequestParser(policy.limits)
        self.idle = True  # between requests; the drain closes idle connections
        self.idle_since = time.monotonic()
        self.served = 0

    def serve(self) -> bool:
        """Serve requests: False once the connection ended, True when it went idle.

        Only an I/O that raises WentIdle returns True; call serve() again
        once the client has sent more.
        """
        try:
            while self._serve_next():
                self.served += 1
                if not self.io.waited and self.served % REQUESTS_BEFORE_YIELD == 0:
                    self.io.pause()  # pipelined requests: let the others run
        except PeerGone:
            pass
        except connection_io.WentIdle:
            return True
        return False

    def _serve_next(self) -> bool:
        """Serve one request; False when the connection must end."""
        message = self._next_message()
        if message is None:
            return False
        if message.error is not None and not message.complete:
            self._refuse(message, message.error)
            return False
        self.parser.messages.popleft()
        return self._respond(message)

    # --- reading requests ---

    def _next_message(self) -> wsgi_parser.Message | None:
        """The next request whose head is complete (or broken); None at the end."""
        messages = self.parser.messages
        if messages and (messages[0].head_complete or messages[0].error):
            return messages[0]
        policy = self.policy
        self.idle = True
        self.idle_since = time.monotonic()
        # Nothing of a request yet: a new connection gets the head's time, a
        # kept-alive one the idle time. The head's time runs from its first byte.
        timeout = policy.keep_alive_timeout if self.served else policy.header_timeout
        deadline = None
        # A poller may take an idle connection back (WentIdle), not one
        # with part of a head: that one's clock runs.
        receive = self.io.receive if messages else self.io.await_request
        try:
            while not messages or not (messages[0].head_complete or messages[0].error):
                data = receive(timeout)
                if not data:
                    if deadline is not None:  # a client that half-closed may still read
                        self._refuse(self._current(), wsgi_parser.ProtocolError(
                            http.HTTPStatus.BAD_REQUEST,
                            'the request ended in the middle of its head'))
                    return None
                if deadline is None:
                    self.idle = False
                    deadline = time.monotonic() + policy.header_timeout
                    receive = self.io.receive
                self.parser.feed(data)
                timeout = deadline - time.monotonic()
                if timeout <= 0 and not (messages and (messages[0].head_complete
                                                       or messages[0].error)):
                    raise TimeoutError
        except TimeoutError:
            if deadline is not None:
                self._refuse(self._current(), wsgi_parser.ProtocolError(
                    http.HTTPStatus.REQUEST_TIMEOUT,
                    'the request head took longer than %g s' % policy.header_timeout))
            return None
        return messages[0]

    def _current(self) -> wsgi_parser.Message:
        """The request being read, or a blank one when too little of it came to tell."""
        messages = self.parser.messages
        return messages[0] if messages else wsgi_parser.Message()

    def _receive_body(self) -> None:
        """More of the current body from the client (raises BodyError)."""
        try:
            data = self.io.receive(self.policy.body_timeout)
        except TimeoutError:
            raise wsgi_body.BodyError(http.HTTPStatus.REQUEST_TIMEOUT,
                                      'the request body stalled for %g s'
                                      % self.policy.body_timeout) from None
        if not data:  # a client that half-closed may still read the answer
            raise wsgi_body.BodyError(http.HTTPStatus.BAD_REQUEST,
                                      'the request ended before its body did')
        self.parser.feed(data)

    def _send(self, data: bytes) -> None:
        try:
            self.io.send(data, self.policy.body_timeout)
        except TimeoutError:
            raise PeerGone('the client stopped reading its response') from None

    # --- answering ---

    def _respond(self, message: wsgi_parser.Message) -> bool:
        started = time.monotonic()
        policy = self.policy
        environ = self._environ(message)
        if message.complete and not message.body:
            body = wsgi_body.EMPTY
        else:
            body = wsgi_body.RequestBody(message, self._receive_body, self._send)
        environ['wsgi.input'] = body
        keep_alive = message.keep_alive and policy.keep_alive and not message.upgrade
        response = wsgi_response.Response(message.version, message.method == 'HEAD',
                                           keep_alive, self._keeps_alive, self._send)
        if not self._run_app(message, environ, body, response):
            return False
        keep_alive = response.keep_alive and (message.complete or self._discard(message))
        self._log(message.method, message.target, message.version, int(response.status[:3]),
                  response.length, time.monotonic() - started, response.request_id,
                  _route(environ))
        return keep_alive

    def _keeps_alive(self) -> bool:
        return self.policy.keep_alive

    def _run_app(self, message: wsgi_parser.Message, environ: dict,
                 body: wsgi_body.RequestBody | wsgi_body.EmptyBody,
                 response: wsgi_response.Response) -> bool:
        """Call the app and send its response; False when the connection must end."""
        result: Iterable[bytes] | None = None
        try:
            result = self.app(environ, response.start_response)
            if body.failure is not None and not response.headers_sent:
                return self._refuse_body(message, body.failure, _route(environ))
            if type(result) is list and not response.headers_sent:
                response.send_whole(result[0] if len(result) == 1 else b''.join(result))
            else:
                for chunk in result:
                    response.write(chunk)
                response.finish()
            return True
        except PeerGone:
            return False
        except Exception:
            if body.failure is not None and not response.headers_sent:
                return self._refuse_body(message, body.failure, _route(environ))
            self._fail(message, response, _route(environ))
            return False
        finally:
            close = getattr(result, 'close', None)
            if close is not None:
                try:
                    close()
                except Exception:
                    LOG.exception('%s %s: the response close() failed', message.method,
                                  escape(message.target))

    def _refuse_body(self, message: wsgi_parser.Message, failure: wsgi_body.BodyError,
                     route: str) -> bool:
        """The body was malformed or too slow: that is the answer, whatever the app made of it."""
        if failure.status is not None:  # None: the client is gone
            self._refuse(message, wsgi_parser.ProtocolError(failure.status, str(failure)),
                         route)
        return False

    def _fail(self, message: wsgi_parser.Message, response: wsgi_response.Response,
              route: str) -> None:
        """The app raised: a JSON 500 if nothing was sent yet, else an abrupt close."""
        LOG.exception('%s %s: the application raised', message.method,
                      escape(message.target))
        if not response.headers_sent:
            self._refuse(message, wsgi_parser.ProtocolError(
                http.HTTPStatus.INTERNAL_SERVER_ERROR,
                'The server could not answer this request.'), route)

    def _discard(self, message: wsgi_parser.Message) -> bool:
        """Read and drop what the app left of the body; False if the connection must end."""
        if message.expect_continue or message.error is not None:
            return False  # the client may or may not send it: nothing can follow
        discarded = 0
        try:
            while not message.complete and discarded <= DISCARD_LIMIT:
                discarded += sum(map(len, message.body))
                message.body.clear()
                if not message.complete:
                    self._receive_body()
                    if message.error is not None:
                        return False
        except wsgi_body.BodyError:
            return False
        return message.complete

    def _refuse(self, message: wsgi_parser.Message, error: wsgi_parser.ProtocolError,
                route: str = http_metrics.UNMATCHED) -> None:
        """Answer with the JSON error for ``error``; the connection ends after it."""
        identifier = request_ids.generate()
        version = message.version if message.head_complete else 'HTTP/1.1'
        try:
            self._send(error_response(version, error.status, str(error), identifier))
        except PeerGone:
            pass
        LOG.debug('refused %s: %s', escape(message.target), error)
        self._log(message.method or '-', message.target, version, error.status, 0, 0.0,
                  identifier, route)

    # --- the environ and the access line ---

    def _environ(self, message: wsgi_parser.Message) -> dict:
        environ = self.base_environ.copy()
        environ[wsgi_access_log.ENVIRON_KEY] = self.policy.access_log is not None
        environ['REQUEST_METHOD'] = message.method
        environ['SERVER_PROTOCOL'] = message.version
        for name, value in message.headers:
            key = wsgi_parser.environ_key(name)
            text = value.decode('latin-1')
            if key in environ:  # a list field sent in several lines
                environ[key] += ('; ' if key == 'HTTP_COOKIE' else ',') + text
            else:
                environ[key] = text
        target = message.target
        if target[:1] == b'/':
            path, _, query = target.partition(b'?')
        elif target == b'*':
            path, query = b'*', b''
        else:  # absolute-form: the URL's authority replaces Host
            url = message.url
            path, query = url.path or b'/', url.query or b''
            environ['HTTP_HOST'] = _authority(url)
        if b'%' in path:
            path = unquote_to_bytes(path)
        if path[:2] == b'//':
            # "//host/x" reads as a host to many clients: an open redirect
            # waiting to happen if it is ever echoed back in a Location.
            path = b'/' + path.lstrip(b'/')
        environ['PATH_INFO'] = path.decode('latin-1')
        environ['QUERY_STRING'] = query.decode('latin-1')
        return environ

    def _log(self, method: str, target: bytes, version: str, status: int, length: int,
             seconds: float, identifier: str | None, route: str) -> None:
        """The access line, and the same request in the HTTP metrics."""
        access_log = self.policy.access_log
        if access_log is not None:
            access_log.write(self.base_environ['REMOTE_ADDR'], method,
                             target.decode('latin-1'), version, status, length, seconds,
                             identifier)
        http_stats = self.policy.http_stats
        if http_stats is not None:
            http_stats.request_finished(method, route, status, seconds)


def count_busy(connections: Iterable[Connection]) -> int:
    """Requests being read or answered: the connections not waiting for their next one."""
    return sum(not connection.idle for connection in connections)


def _route(environ: dict) -> str:
    """The route template the app noted, for the metrics."""
    return environ.get(http_metrics.ROUTE_KEY, http_metrics.UNMATCHED)


def error_response(version: str, status: int, message: str, identifier: str) -> bytes:
    """The API's JSON error, as a whole response that closes the connection."""
    status = http.HTTPStatus(status)
    body = json.dumps({'error': {'code': status.value, 'title': status.phrase,
                                 'message': message}}).encode()
    return (b'%s %d %s\r\n' % (version.encode(), status.value, status.phrase.encode())
            + wsgi_response.http_date()
            + b'Content-Type: application/json\r\nContent-Length: %d\r\n'
              b'x-openstack-request-id: %s\r\nConnection: close\r\n\r\n%s'
            % (len(body), identifier.encode(), body))


def _authority(url: object) -> str:
    host = url.host.decode('latin-1')
    return '%s:%d' % (host, url.port) if url.port else host


def escape(target: bytes) -> str:
    """A request target as a log line may show it."""
    return wsgi_access_log.escape(target.decode('latin-1'))
