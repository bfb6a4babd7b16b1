"""Framing HTTP/1.1 requests: llhttp (through httptools) plus what a server adds.

llhttp, the parser of Node.js, parses strictly: request line, header syntax,
control characters, Content-Length and chunk sizes. A server must refuse
more than a parser does (RFC 9112): transfer codings it does not serve, a
Transfer-Encoding on HTTP/1.0, versions other than 1.0 and 1.1, a missing or
repeated Host, target forms a method may not use, forbidden trailer fields
and oversized heads. ``RequestParser`` does both and hands the connection a
queue of ``Message`` objects, one per request, each with its body chunks.

llhttp is a push parser: one ``feed()`` may complete a request and begin the
next ones a client pipelined. Each request gets its own ``Message``; a
protocol error ends the parse and is attached to the message it belongs to,
so the requests before it are still answered, in order.
"""

from __future__ import annotations

import collections
import dataclasses
import http
import re
from urllib.parse import quote_from_bytes

import httptools

# Known header names in their WSGI environ spelling; filled as names are seen.
ENVIRON_KEYS: dict[bytes, str] = {b'content-type': 'CONTENT_TYPE',
                                  b'content-length': 'CONTENT_LENGTH'}
ENVIRON_KEYS_MAX = 1024

# RFC 9110 section 6.5.1: fields a sender must not put in a trailer. svcframe
# drops trailers, so none reaches the app; it refuses those that frame,
# route or authenticate a request, which a proxy merging trailers into the
# header section would turn into a smuggled request.
FORBIDDEN_TRAILERS = frozenset((
    b'authorization', b'content-length', b'host', b'proxy-authorization', b'set-cookie',
    b'te', b'trailer', b'transfer-encoding'))

# Head bytes llhttp may hold for a field not yet complete, beyond the limits.
HEAD_SLACK = 65536
# Fields a request may carry once: two would leave its routing, its body's
# meaning or its caller ambiguous. (llhttp refuses a second Content-Length.)
SINGLE_FIELDS = frozenset((b'host', b'content-type', b'authorization'))
# Transfer codings of the IANA registry. The body is framed by the final
# "chunked"; the others are left to the app, which sees Transfer-Encoding.
TRANSFER_CODINGS = frozenset(('chunked', 'compress', 'deflate', 'gzip', 'identity',
                              'x-compress', 'x-gzip'))
# RFC 3986 section 3.1.
SCHEME = re.compile(rb'[A-Za-z][A-Za-z0-9+.-]*\Z')
# Request line characters llhttp refuses and clients still send unencoded.
_NOT_ASCII = re.compile(rb'[\x80-\xff]+')


class ProtocolError(Exception):
    """A request the server refuses; ``status`` is the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass(frozen=True)
class Limits:
    """Sizes a request head may reach; each past its limit gets its 4xx."""

    request_line: int = 8190
    header_line: int = 16384
    header_size: int = 65536
    header_count: int = 100


class Message:
    """One request as parsed so far: its head, then its body in chunks."""

    __slots__ = ('method', 'target', 'version', 'headers', 'head_complete',
                 'body', 'complete', 'error', 'expect_continue', 'keep_alive',
                 'upgrade', 'header_bytes', 'url')

    def __init__(self) -> None:
        self.method = ''
        self.target = b''
        self.version = 'HTTP/1.1'
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_complete = False
        self.body: collections.deque[bytes] = collections.deque()
        self.complete = False
        self.error: ProtocolError | None = None
        self.expect_continue = False
        self.keep_alive = False
        self.upgrade = False  # answered, then the connection closes
        self.header_bytes = 0
        self.url: httptools.parser.url_parser.URL | None = None  # an absolute-form target


class RequestParser:
    """Feeds bytes to llhttp; ``messages`` holds the requests not yet answered."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.messages: collections.deque[Message] = collections.deque()
        self.dead = False  # after an error or an upgrade: nothing more is parsed
        self._current: Message | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._fed = 0  # bytes fed so far
        self._feed_start = 0  # the count before the buffer being fed
        self._fed_at_begin = 0  # the count when the current request began

    def feed(self, data: bytes) -> None:
        if self.dead:
            return
        if not data.isascii() and self._between_requests():
            data = encode_request_line(data)
        self._feed_start = self._fed
        self._fed += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # An Upgrade request: its head is served like any other, and
            # the connection ends after it (svcframe upgrades to nothing).
            self._current.upgrade = True
            self.dead = True
        except httptools.HttpParserError as error:
            # A check of ours raised in a callback: llhttp chains it.
            refused = error.__context__
            self._fail(refused if isinstance(refused, ProtocolError) else ProtocolError(
                http.HTTPStatus.BAD_REQUEST, _describe(error)))
        else:
            current = self._current
            # llhttp holds a field until it is complete: bound what it may
            # hold, counting from the buffer in which the request began.
            if (current is not None and not current.head_complete
                    and self._fed - self._fed_at_begin > self._head_bound()):
                self._fail(ProtocolError(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                                         'the request head is larger than %d bytes'
                                         % self._head_bound()))

    def _between_requests(self) -> bool:
        return self._current is None or self._current.complete

    def _head_bound(self) -> int:
        limits = self.limits
        return limits.request_line + limits.header_size + limits.header_line + HEAD_SLACK

    def _fail(self, error: ProtocolError) -> None:
        self.dead = True
        current = self._current
        if current is None or current.complete:
            current = Message()  # bytes that never began a request
            self.messages.append(current)
        current.error = error

    @staticmethod
    def _refuse(status: int, message: str) -> None:
        # Raised inside a callback, it makes llhttp stop with an error.
        raise ProtocolError(status, message)

    # --- llhttp's callbacks ---

    def on_url(self, url: bytes) -> None:
        message = self._current
        if message is None or message.head_complete:
            # A request begins. (No on_message_begin callback: the URL is
            # always its first part, and a callback less is a tenth faster.)
            message = self._current = Message()
            self.messages.append(message)
            self._fed_at_begin = self._feed_start
        message.target += url
        # The line also holds the method, two spaces and "HTTP/1.1".
        if len(message.target) + len(self._parser.get_method()) + 10 > self.limits.request_line:
            self._refuse(http.HTTPStatus.REQUEST_URI_TOO_LONG,
                         'the request line is longer than %d bytes'
                         % self.limits.request_line)

    def on_header(self, name: bytes, value: bytes) -> None:
        message = self._current
        size = len(name) + len(value)
        limits = self.limits
        if size > limits.header_line:
            self._refuse(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                         'a header field is longer than %d bytes' % limits.header_line)
        if message.head_complete:
            self._check_trailer(name)
            return  # trailers are parsed, checked and dropped
        message.header_bytes += size
        if message.header_bytes > limits.header_size:
            self._refuse(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                         'the header fields are larger than %d bytes' % limits.header_size)
        message.headers.append((name, value))
        if len(message.headers) > limits.header_count:
            self._refuse(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                         'more than %d header fields' % limits.header_count)

    def on_headers_complete(self) -> None:
        message = self._current
        parser = self._parser
        version = parser.get_http_version()
        message.method = parser.get_method().decode('ascii')
        if version == '1.1':
            message.version = 'HTTP/1.1'
        elif version == '1.0':
            message.version = 'HTTP/1.0'
        else:
            self._refuse_version(version)
        message.keep_alive = parser.should_keep_alive()
        check_head(message)
        message.head_complete = True

    def on_body(self, body: bytes) -> None:
        self._current.body.append(body)

    def on_message_complete(self) -> None:
        self._current.complete = True

    # --- checks llhttp leaves to the server ---

    def _refuse_version(self, version: str) -> None:
        # 400, not 505: a request line in text is HTTP/1.x syntax whatever
        # version it names (HTTP/2 frames its requests in binary).
        self._refuse(http.HTTPStatus.BAD_REQUEST,
                     'HTTP/%s is not a version this server reads; use HTTP/1.1' % version)

    def _check_trailer(self, name: bytes) -> None:
        if name.lower() in FORBIDDEN_TRAILERS:
            self._refuse(http.HTTPStatus.BAD_REQUEST,
                         'a trailer may not carry %s' % name.decode('latin-1'))


def check_head(message: Message) -> None:
    """Refuse what RFC 9112 forbids in a head that llhttp accepted.

    Raises ProtocolError; sets ``expect_continue``.
    """
    seen: set[bytes] = set()
    codings: list[bytes] = []
    for name, value in message.headers:
        lowered = name.lower()
        if lowered in SINGLE_FIELDS:
            if lowered in seen:
                raise ProtocolError(http.HTTPStatus.BAD_REQUEST,
                                    'a request may carry one %s header, not several'
                                    % name.decode('latin-1'))
            seen.add(lowered)
        elif lowered == b'transfer-encoding':
            codings.append(value)
        elif lowered == b'expect':
            if value.strip().lower() != b'100-continue':
                raise ProtocolError(http.HTTPStatus.EXPECTATION_FAILED,
                                    'only "Expect: 100-continue" is served')
            message.expect_continue = message.version == 'HTTP/1.1'
    if codings:
        _check_transfer_codings(message, b','.join(codings).decode('latin-1'))
    _check_target(message)


def _check_transfer_codings(message: Message, value: str) -> None:
    if message.version == 'HTTP/1.0':
        raise ProtocolError(http.HTTPStatus.BAD_REQUEST,
                            'Transfer-Encoding is not allowed in an HTTP/1.0 request')
    codings = [coding.strip().lower() for coding in value.split(',')]
    unknown = [coding for coding in codings if coding not in TRANSFER_CODINGS]
    # llhttp has already refused a list whose last coding is not chunked.
    if unknown or codings.count('chunked') != 1 or codings[-1] != 'chunked':
        raise ProtocolError(http.HTTPStatus.BAD_REQUEST,
                            'Transfer-Encoding %r is not served: it must end with '
                            '"chunked", once, after codings among %s'
                            % (value, ', '.join(sorted(TRANSFER_CODINGS - {'chunked'}))))


def _check_target(message: Message) -> None:
    target = message.target
    if target[:1] == b'/':
        return  # origin-form
    if message.method == 'CONNECT':
        raise ProtocolError(http.HTTPStatus.METHOD_NOT_ALLOWED, 'CONNECT is not served')
    if target == b'*':
        if message.method != 'OPTIONS':
            raise ProtocolError(http.HTTPStatus.BAD_REQUEST,
                                'the target "*" is for OPTIONS only')
        return
    scheme, colon, rest = target.partition(b':')
    try:
        if not (colon and SCHEME.match(scheme) and rest.startswith(b'//')):
            raise httptools.HttpParserInvalidURLError
        message.url = httptools.parse_url(target)
    except httptools.HttpParserInvalidURLError:
        raise ProtocolError(http.HTTPStatus.BAD_REQUEST,
                            'the request target must be a path or an absolute URL') from None


def encode_request_line(data: bytes) -> bytes:
    """``data`` with the raw non-ASCII bytes of its first line percent-encoded.

    Clients send UTF-8 paths unencoded now and then; llhttp refuses them.
    Encoding them is what the client should have done, and changes nothing
    of the framing: only the request line, which ends before any body.
    """
    end = data.find(b'\n')
    line = data if end < 0 else data[:end]
    return _NOT_ASCII.sub(lambda match: quote_from_bytes(match.group()).encode('ascii'),
                          line) + (b'' if end < 0 else data[end:])


def _describe(error: httptools.HttpParserError) -> str:
    reason = str(error) or type(error).__name__
    return 'malformed request: %s' % reason.replace('`', '')


def environ_key(name: bytes) -> str:
    """``X-Auth-Token`` -> ``HTTP_X_AUTH_TOKEN``, remembered for the next request."""
    key = ENVIRON_KEYS.get(name)
    if key is None:
        lowered = name.lower()
        key = ENVIRON_KEYS.get(lowered)
        if key is None:
            key = 'HTTP_' + lowered.decode('latin-1').upper().replace('-', '_')
        if len(ENVIRON_KEYS) < ENVIRON_KEYS_MAX:
            ENVIRON_KEYS[name] = key
    return key
