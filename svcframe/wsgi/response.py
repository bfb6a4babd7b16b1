"""The response side of one request: start_response, write() and the framing.

The head goes out with the first body bytes, in one send. A response that
names no Content-Length gets one when the app returned a list (its length is
known), chunked framing on HTTP/1.1 otherwise, and the end of the connection
on HTTP/1.0. HEAD answers keep the GET's headers and send no body.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate

# Statuses that never carry a body (RFC 9110 section 6.4.1).
BODILESS_STATUSES = frozenset(('204', '304'))
# Response headers the server reads: framing, the connection, the request id.
SERVER_READ_HEADERS = frozenset(('content-length', 'connection', 'x-openstack-request-id'))
_date_cache: list = [0, b'']


def http_date() -> bytes:
    """The Date header line, formatted once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = b'Date: %s\r\n' % formatdate(now, usegmt=True).encode('ascii')
    return _date_cache[1]


class HeadersSent(RuntimeError):
    """The app raised after its response had begun: the connection must end."""


class Response:
    """What one WSGI call answers; ``send`` writes bytes to the client."""

    __slots__ = ('version', 'head_only', 'keep_alive', 'server_keeps_alive', 'send',
                 'status', 'headers',
                 'headers_sent', 'length', 'content_length', 'chunked', 'request_id',
                 'body_allowed')

    def __init__(self, version: str, head_only: bool, keep_alive: bool,
                 server_keeps_alive: Callable[[], bool],
                 send: Callable[[bytes], None]) -> None:
        self.version = version
        self.head_only = head_only
        self.keep_alive = keep_alive  # may turn False as the head is built
        # Asked when the head is built: a server that began draining since
        # the request came in must say so in this response's head.
        self.server_keeps_alive = server_keeps_alive
        self.send = send
        self.status = ''
        self.headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.length = 0  # body bytes sent
        self.content_length: int | None = None
        self.chunked = False
        self.request_id: str | None = None
        self.body_allowed = True

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: tuple | None = None) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no reference cycle through the frame
        elif self.status:
            raise AssertionError('start_response was called twice without exc_info')
        self.status = status
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333's write(): body bytes, the head first if not yet sent."""
        if not self.status:
            raise AssertionError('the app wrote a body before calling start_response')
        if not self.headers_sent:
            self.send(self._head(None) + self._frame(data))
        elif data:
            self.send(self._frame(data))

    def finish(self) -> None:
        """The app's iterable is done: end the body."""
        if not self.headers_sent:
            if not self.status:
                raise AssertionError('the app returned without calling start_response')
            self.send(self._head(0))  # nothing was written: the body is empty
        elif self.chunked:
            self.send(b'0\r\n\r\n')
        self._check_length()

    def send_whole(self, body: bytes) -> None:
        """The whole body at once: one send for head and body."""
        if self.headers_sent:
            self.write(body)
            self.finish()
            return
        head = self._head(len(body))
        if self.body_allowed and body:
            self.length = len(body)
            self.send(head + body)
        else:
            self.send(head)
        self._check_length()

    def _check_length(self) -> None:
        if (self.content_length is not None and self.body_allowed
                and self.length != self.content_length):
            self.keep_alive = False  # the client cannot tell where the body ended

    # --- inside ---

    def _frame(self, data: bytes) -> bytes:
        if not data or not self.body_allowed:
            return b''
        self.length += len(data)
        if self.chunked:
            return b'%x\r\n%s\r\n' % (len(data), data)
        return data

    def _head(self, known_length: int | None) -> bytes:
        """The status line and headers, completed with the framing; marks them sent."""
        self.headers_sent = True
        status = self.status
        code = status[:3]
        if not (code.isdigit() and status[3:4] == ' '):
            raise ValueError('status %r is not "NNN Reason"' % status)
        lines = []
        content_length = None
        connection_close = False
        for name, value in self.headers:
            lowered = name.lower()
            if lowered in SERVER_READ_HEADERS:
                if lowered == 'content-length':
                    content_length = value
                elif lowered == 'connection':
                    connection_close = value.strip().lower() == 'close'
                    continue  # the server decides this one
                else:
                    self.request_id = value
            lines.append(f'{name}: {value}\r\n')
        if connection_close or not self.server_keeps_alive():
            self.keep_alive = False
        self._frame_body(code, content_length, known_length, lines)
        if self.keep_alive:
            if self.version == 'HTTP/1.0':
                lines.append('Connection: keep-alive\r\n')
        else:
            lines.append('Connection: close\r\n')
        text = ''.join(lines)
        # One line break per line, or an app put one in a name or a value.
        if text.count('\n') != len(lines) or text.count('\r') != len(lines):
            raise ValueError('a response header has a line break in its name or value')
        return (f'{self.version} {status}\r\n'.encode('latin-1') + http_date()
                + text.encode('latin-1') + b'\r\n')

    def _frame_body(self, code: str, content_length: str | None,
                    known_length: int | None, lines: list[str]) -> None:
        if code in BODILESS_STATUSES or code[0] == '1':
            self.body_allowed = False
            return
        if self.head_only:
            self.body_allowed = False
        if content_length is not None:
            self.content_length = _content_length(content_length)
        elif known_length is not None:
            self.content_length = known_length
            lines.append('Content-Length: %d\r\n' % known_length)
        elif self.head_only:
            pass  # no body follows, so no framing is needed
        elif self.version == 'HTTP/1.1':
            self.chunked = True
            lines.append('Transfer-Encoding: chunked\r\n')
        else:
            self.keep_alive = False  # HTTP/1.0: the end of the body is the close


def _content_length(value: str) -> int:
    if not value.isdigit() or not value.isascii():
        raise ValueError('Content-Length %r is not a number of bytes' % value)
    return int(value)
