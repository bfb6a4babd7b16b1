"""A raw HTTP/1.1 client connection for protocol tests: send bytes, read responses.

Nothing here is lenient on purpose: a response the reader cannot parse raises
ProtocolError with the bytes it saw, so a server that sends, say, body bytes
after a HEAD response fails the test that pipelined another request after it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import select
import socket
import time

STATUS_LINE = re.compile(rb'^(HTTP/\d\.\d) (\d{3})(?: (.*))?$')


class ProtocolError(AssertionError):
    """The server sent something that is not an HTTP/1.x response."""


@dataclasses.dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = b''
    # 'content-length', 'chunked', 'close' or 'none' (1xx, 204, 304, HEAD)
    framing: str = 'none'
    # False when the connection ended (or went silent) before the framing did.
    complete: bool = True
    trailers: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> dict:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return '<Response %s %d %r %s%s body=%r>' % (
            self.version, self.status, self.headers, self.framing,
            '' if self.complete else ' INCOMPLETE', self.body[:200])


class RawConnection:
    """One client TCP connection to 127.0.0.1:``port``."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.buffer = b''
        self.closed = False  # the server closed (or reset) the connection
        self.reset = False

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> bool:
        """Send ``data``; False when the server has already closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def readable(self, timeout: float) -> bool:
        """Whether the server sent bytes (or closed) within ``timeout`` seconds."""
        if self.buffer or self.closed:
            return True
        return bool(select.select([self.sock], [], [], timeout)[0])

    def _fill(self, deadline: float) -> bool:
        """Receive once before ``deadline``; False on timeout or close."""
        if self.closed:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            self.closed = self.reset = True
            return False
        if not data:
            self.closed = True
            return False
        self.buffer += data
        return True

    def _read_line(self, deadline: float) -> bytes | None:
        while b'\r\n' not in self.buffer:
            if not self._fill(deadline):
                return None
        line, self.buffer = self.buffer.split(b'\r\n', 1)
        return line

    def _read_exact(self, size: int, deadline: float) -> tuple[bytes, bool]:
        while len(self.buffer) < size:
            if not self._fill(deadline):
                data, self.buffer = self.buffer, b''
                return data, False
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data, True

    def wait_closed(self, timeout: float) -> bool:
        """Wait for the server to close; bytes it sends meanwhile land in ``buffer``."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._fill(deadline)
        return self.closed

    def read_response(self, method: str = 'GET', first_byte_timeout: float | None = None
                      ) -> Response | None:
        """The next response (a 1xx included), or None when no byte came."""
        deadline = time.monotonic() + (self.timeout if first_byte_timeout is None
                                       else first_byte_timeout)
        if not self.buffer and not self._fill(deadline):
            return None
        deadline = time.monotonic() + self.timeout
        while b'\r\n\r\n' not in self.buffer:
            if not self._fill(deadline):
                raise ProtocolError('incomplete response head (closed=%s): %r'
                                    % (self.closed, self.buffer[:500]))
        head, self.buffer = self.buffer.split(b'\r\n\r\n', 1)
        status_line, *header_lines = head.split(b'\r\n')
        match = STATUS_LINE.match(status_line)
        if not match:
            raise ProtocolError('not a status line: %r' % head[:500])
        response = Response(version=match.group(1).decode(), status=int(match.group(2)),
                            reason=(match.group(3) or b'').decode('latin-1'),
                            headers=parse_fields(header_lines, head))
        self._read_body(response, method, deadline)
        return response

    def _read_body(self, response: Response, method: str, deadline: float) -> None:
        if response.status < 200 or response.status in (204, 304) or method == 'HEAD':
            return
        codings = [c.strip().lower() for value in response.header_values('transfer-encoding')
                   for c in value.split(',')]
        if codings and codings[-1] == 'chunked':
            response.framing = 'chunked'
            self._read_chunked(response, deadline)
        elif response.header('content-length') is not None:
            response.framing = 'content-length'
            try:
                size = int(response.header('content-length') or '')
            except ValueError:
                raise ProtocolError('bad Content-Length in %r' % response) from None
            response.body, response.complete = self._read_exact(size, deadline)
        else:
            response.framing = 'close'
            while self._fill(deadline):
                pass
            response.body, self.buffer = self.buffer, b''
            response.complete = self.closed

    def _read_chunked(self, response: Response, deadline: float) -> None:
        parts = []
        response.complete = False
        while True:
            line = self._read_line(deadline)
            if line is None:
                break
            try:
                size = int(line.split(b';', 1)[0], 16)
            except ValueError:
                raise ProtocolError('bad chunk size line %r' % line) from None
            if size == 0:
                trailer_lines = []
                while (line := self._read_line(deadline)) not in (None, b''):
                    trailer_lines.append(line)
                response.trailers = parse_fields(trailer_lines, b'trailers')
                response.complete = line == b''
                break
            data, whole = self._read_exact(size + 2, deadline)
            parts.append(data[:size])
            if not whole:
                break
            if data[size:] != b'\r\n':
                raise ProtocolError('chunk not followed by CRLF: %r' % data[-20:])
        response.body = b''.join(parts)

    def read_responses(self, methods: tuple[str, ...] | list[str] = (), expect: int = 1,
                       linger: float = 1.0) -> list[Response]:
        """Every response until the server closes or goes silent.

        Waits up to ``timeout`` for each of the first ``expect`` final responses
        and ``linger`` seconds for any further one. ``methods`` name the
        requests in order, so that HEAD responses are read without a body.
        """
        responses: list[Response] = []
        pending = list(methods)
        finals = 0
        while not (self.closed and not self.buffer):
            wait = self.timeout if finals < expect else linger
            response = self.read_response(pending[0] if pending else 'GET',
                                          first_byte_timeout=wait)
            if response is None:
                break
            responses.append(response)
            if response.status >= 200:
                finals += 1
                pending = pending[1:]
            if not response.complete:
                break
        return responses


def parse_fields(lines: list[bytes], context: bytes) -> list[tuple[str, str]]:
    fields = []
    for line in lines:
        name, colon, value = line.partition(b':')
        if not colon:
            raise ProtocolError('header line without a colon %r in %r' % (line, context[:500]))
        fields.append((name.decode('latin-1'), value.strip().decode('latin-1')))
    return fields


def request(line: bytes, *headers: bytes, body: bytes = b'') -> bytes:
    """Raw request bytes: ``line``, the header lines as given, an empty line, ``body``."""
    return line + b'\r\n' + b''.join(header + b'\r\n' for header in headers) + b'\r\n' + body


def chunked(*chunks: bytes, trailers: tuple[bytes, ...] = ()) -> bytes:
    """A chunked body of ``chunks``, sizes in lower-case hex, then the last chunk."""
    return (b''.join(b'%x\r\n%s\r\n' % (len(chunk), chunk) for chunk in chunks) +
            b'0\r\n' + b''.join(trailer + b'\r\n' for trailer in trailers) + b'\r\n')
