"""Parsing a request line: ``GET /v1/services HTTP/1.1``.

svcframe's server reads the line and the headers itself rather than through
``http.server.BaseHTTPRequestHandler.parse_request``, which runs the email
package's parser even over an empty header block (see headers.py). The rules
are the standard library's: HTTP/1.0 and 1.1 (and 0.9 ``GET path``), no
HTTP/2 over this parser, and a version of digits only.
"""

from __future__ import annotations

import dataclasses
import http

MAX_VERSION_DIGITS = 10


@dataclasses.dataclass(frozen=True)
class RequestLine:
    method: str
    path: str
    version: str  # as sent, e.g. "HTTP/1.1"; "HTTP/0.9" when none was
    keep_alive: bool  # the version's default, before any Connection header


class BadRequestLine(ValueError):
    """The line cannot be served; ``status`` is the answer to give."""

    def __init__(self, status: http.HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse(text: str) -> RequestLine:
    """Parse a request line, already decoded and without its line end."""
    words = text.split()
    if not 2 <= len(words) <= 3:
        raise BadRequestLine(http.HTTPStatus.BAD_REQUEST, 'Bad request syntax (%r)' % text)
    if len(words) == 2:  # HTTP/0.9: GET only, one request per connection
        if words[0] != 'GET':
            raise BadRequestLine(http.HTTPStatus.BAD_REQUEST,
                                 'Bad HTTP/0.9 request type (%r)' % words[0])
        return RequestLine(words[0], _path(words[1]), 'HTTP/0.9', keep_alive=False)
    method, path, version = words
    major, minor = _version_numbers(version)
    if major >= 2:
        raise BadRequestLine(http.HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                             'Invalid HTTP version (%s)' % version[5:])
    return RequestLine(method, _path(path), version, keep_alive=(major, minor) >= (1, 1))


def _version_numbers(version: str) -> tuple[int, int]:
    numbers = version[5:].split('.') if version.startswith('HTTP/') else []
    if (len(numbers) != 2
            or not all(part.isascii() and part.isdigit() and len(part) <= MAX_VERSION_DIGITS
                       for part in numbers)):
        raise BadRequestLine(http.HTTPStatus.BAD_REQUEST,
                             'Bad request version (%r)' % version)
    return int(numbers[0]), int(numbers[1])


def _path(path: str) -> str:
    # "//host/x" reads as a host to many clients: an open redirect waiting
    # to happen if it is ever echoed back in a Location header.
    if path.startswith('//'):
        return '/' + path.lstrip('/')
    return path
