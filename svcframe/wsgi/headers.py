"""Reading a request's header block, without the email package.

The standard library hands the header block to ``email.parser``, a general
MIME parser that walks it a character at a time: on svcframe's server that
was a seventh of the whole cost of a small request (bench/http_bench.py).
HTTP/1.1 header lines are simpler than MIME: ``name: value``, with no line
folding (RFC 9112 section 5.2 lets a server reject it, and svcframe does).
"""

from __future__ import annotations

import http.client
from typing import Protocol

MAX_HEADERS = 100  # as the standard library allows
# RFC 9110 section 5.1: a field name is a token.
TOKEN_CHARACTERS = frozenset("!#$%&'*+-.^_`|~0123456789"
                             'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')


class BadHeaders(ValueError):
    """The header block is not valid HTTP/1.1; the message says why."""


class TooManyHeaders(BadHeaders):
    pass


class LineReader(Protocol):
    def readline(self, size: int = -1) -> bytes: ...


def read_headers(rfile: LineReader) -> http.client.HTTPMessage:
    """Read header lines up to the blank line that ends them.

    Returns the same message class the standard library would, so code that
    reads ``handler.headers`` sees no difference. Line and total size limits
    are the reader's to enforce (eventlet's header reader does).
    """
    message = http.client.HTTPMessage()
    count = 0
    while True:
        line = rfile.readline()
        if line in (b'\r\n', b'\n', b''):
            return message
        count += 1
        if count > MAX_HEADERS:
            raise TooManyHeaders('more than %d header lines' % MAX_HEADERS)
        text = line.decode('iso-8859-1').rstrip('\r\n')
        name, colon, value = text.partition(':')
        if not colon or not name or not TOKEN_CHARACTERS.issuperset(name):
            raise BadHeaders('malformed header line %r' % text[:100])
        message[name] = value.strip(' \t')
