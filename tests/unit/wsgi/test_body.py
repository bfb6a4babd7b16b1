from __future__ import annotations

import pytest

from svcframe.wsgi.body import CONTINUE, BodyError, RequestBody
from svcframe.wsgi.parser import Limits, RequestParser

HEAD = b'POST /x HTTP/1.1\r\nHost: api\r\nContent-Length: %d\r\n%s\r\n'
NEXT = b'GET /next HTTP/1.1\r\nHost: api\r\n\r\n'


class Client:
    """Bytes a client sends, handed to the parser a piece at a time as the body is read."""

    def __init__(self, data: bytes, piece: int = 7, expect: bytes = b'') -> None:
        self.parser = RequestParser(Limits())
        body_at = data.index(b'\r\n\r\n') + 4
        self.parser.feed(data[:body_at])
        self.rest = data[body_at:]
        self.piece = piece
        self.sent: list[bytes] = []
        self.body = RequestBody(self.parser.messages[0], self.receive, self.sent.append)

    def receive(self) -> None:
        if not self.rest:
            raise BodyError(None, 'the client closed')
        data, self.rest = self.rest[:self.piece], self.rest[self.piece:]
        self.parser.feed(data)


def request(body: bytes, extra: bytes = b'') -> bytes:
    return HEAD % (len(body), extra) + body + NEXT


TEXT = b'first line\nsecond line\nlast, no newline'


def test_read_all_stops_at_the_end_of_the_body() -> None:
    client = Client(request(TEXT))

    assert client.body.read() == TEXT
    assert client.body.read() == b''
    client.parser.feed(client.rest)  # what the connection reads next
    assert [m.target for m in client.parser.messages] == [b'/x', b'/next']


def test_read_in_sizes() -> None:
    client = Client(request(TEXT))

    parts = iter(lambda: client.body.read(10), b'')

    assert list(parts) == [TEXT[i:i + 10] for i in range(0, len(TEXT), 10)]


def test_readline_readlines_and_iteration() -> None:
    assert Client(request(TEXT)).body.readline() == b'first line\n'
    assert Client(request(TEXT)).body.readline(5) == b'first'
    assert Client(request(TEXT)).body.readlines() == TEXT.splitlines(keepends=True)
    assert list(Client(request(TEXT)).body) == \
        TEXT.splitlines(keepends=True)


def test_a_chunked_body_reads_whole() -> None:
    data = (b'POST /x HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n'
            b'4;note=x\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Sum: 1\r\n\r\n' + NEXT)

    client = Client(data, piece=3)

    assert client.body.read() == b'abcdefg'
    assert client.body.message.complete


def test_continue_is_sent_when_the_body_is_first_read() -> None:
    client = Client(request(TEXT, b'Expect: 100-continue\r\n'))
    assert client.sent == []

    client.body.read(1)
    client.body.read()

    assert client.sent == [CONTINUE]


def test_a_client_that_leaves_mid_body() -> None:
    client = Client(HEAD % (100, b'') + b'only this')

    with pytest.raises(BodyError) as raised:
        client.body.read()

    assert raised.value.status is None
    with pytest.raises(BodyError):  # and again: the failure stays
        client.body.read()


def test_a_malformed_chunk_is_a_400_after_the_good_chunks() -> None:
    client = Client(b'POST /x HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n'
                    b'3\r\nabc\r\nzz\r\n', piece=100)

    assert client.body.read(3) == b'abc'
    with pytest.raises(BodyError) as raised:
        client.body.read()
    assert raised.value.status == 400
    assert client.body.failure is raised.value


def test_a_read_larger_than_the_body_returns_the_body() -> None:
    # webob reads a body without Content-Length as read(65535) until b''.
    client = Client(b'POST /x HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n'
                    b'5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n')

    assert client.body.read(65535) == b'abcdefghij'
    assert client.body.read(65535) == b''
