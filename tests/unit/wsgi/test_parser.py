from __future__ import annotations

import pytest

from svcframe.wsgi import parser
from svcframe.wsgi.parser import Limits, RequestParser

HOST = b'Host: api\r\n'


def parse(data: bytes, limits: Limits = Limits(), pieces: int = 1) -> RequestParser:
    """Feed ``data`` in ``pieces`` parts, as reads from a socket would."""
    request_parser = RequestParser(limits)
    step = max(1, -(-len(data) // pieces))
    for start in range(0, len(data), step):
        request_parser.feed(data[start:start + step])
    return request_parser


def only_error(data: bytes, limits: Limits = Limits()) -> parser.ProtocolError:
    messages = parse(data, limits).messages
    assert messages[-1].error is not None, 'accepted: %r' % data
    assert all(message.error is None for message in list(messages)[:-1])
    return messages[-1].error


@pytest.mark.parametrize('pieces', [1, 3, 50])
def test_pipelined_requests_are_framed_in_order(pieces: int) -> None:
    data = (b'GET /one HTTP/1.1\r\n' + HOST + b'\r\n'
            b'POST /two HTTP/1.1\r\n' + HOST + b'Content-Length: 5\r\n\r\nhello'
            b'POST /three HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n\r\n'
            b'3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Checksum: 1\r\n\r\n')

    messages = list(parse(data, pieces=pieces).messages)

    assert [(m.method, m.target, b''.join(m.body), m.complete, m.error) for m in messages] == [
        ('GET', b'/one', b'', True, None),
        ('POST', b'/two', b'hello', True, None),
        ('POST', b'/three', b'abcde', True, None)]


def test_a_head_keeps_its_header_fields_and_version() -> None:
    message = parse(b'GET /x?y=1 HTTP/1.0\r\nX-A: 1\r\nx-a: 2\r\n\r\n').messages[0]

    assert (message.version, message.headers, message.keep_alive) == (
        'HTTP/1.0', [(b'X-A', b'1'), (b'x-a', b'2')], False)


@pytest.mark.parametrize('data, status', [
    (b'GET / HTTP/1.1\r\n' + HOST + HOST + b'\r\n', 400),
    (b'GET / HTTP/1.1\r\n' + HOST + b'Content-Type: a/b\r\ncontent-type: c/d\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\n' + HOST + b'Authorization: a\r\nAuthorization: b\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n'
     b'Transfer-Encoding: identity\r\n\r\n0\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked, gzip\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n'
     b'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400),
    (b'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Content-Length: 3\r\n'
     b'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Content-Length: +3\r\n\r\nabc', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Content-Length: 3_0\r\n\r\nabc', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n',
     400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n',
     400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n\r\n'
     b'0\r\nHost: other\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n\r\n'
     b'0\r\nAuthorization: Basic eDp5\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\n' + HOST + b'X: a\x07b\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\n' + HOST + b'X: a\x00b\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\n' + HOST + b'X: a\x7fb\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\n' + HOST + b'X: a\rb\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\n' + HOST + b'X: a\r\n b\r\n\r\n', 400),  # obs-fold
    (b'GET / HTTP/1.1\r\n' + HOST + b'X : a\r\n\r\n', 400),
    (b'GET * HTTP/1.1\r\n' + HOST + b'\r\n', 400),
    (b'GET api:80 HTTP/1.1\r\n' + HOST + b'\r\n', 400),
    (b'GET http:x HTTP/1.1\r\n' + HOST + b'\r\n', 400),
    (b'CONNECT api:443 HTTP/1.1\r\n' + HOST + b'\r\n', 405),
    (b'GET / HTTP/1.2\r\n' + HOST + b'\r\n', 400),
    (b'GET / HTTP/0.9\r\n\r\n', 400),
    (b'GET / HTTP/2.0\r\n' + HOST + b'\r\n', 400),
    (b'GET / http/1.1\r\n' + HOST + b'\r\n', 400),
    (b'get / HTTP/1.1\r\n' + HOST + b'\r\n', 400),
    (b'GET / HTTP/1.1\r\n' + HOST + b'Expect: something\r\n\r\n', 417),
    (b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400),  # TLS to a plain port
])
def test_what_rfc_9112_forbids_is_refused(data: bytes, status: int) -> None:
    assert only_error(data).status == status


def test_nothing_after_an_error_is_parsed() -> None:
    request_parser = parse(b'GET /ok HTTP/1.1\r\n' + HOST + b'\r\n'
                           b'GET /bad HTTP/1.1\r\n' + HOST + b'X: \x01\r\n\r\n'
                           b'GET /never HTTP/1.1\r\n' + HOST + b'\r\n')

    assert [(m.target, m.error is None) for m in request_parser.messages] == [
        (b'/ok', True), (b'/bad', False)]
    assert request_parser.dead


def test_a_body_error_follows_the_chunks_before_it() -> None:
    message = parse(b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: chunked\r\n\r\n'
                    b'3\r\nabc\r\nzz\r\n').messages[0]

    assert (b''.join(message.body), message.head_complete, message.complete) == (
        b'abc', True, False)
    assert message.error.status == 400


@pytest.mark.parametrize('data, status', [
    (b'GET /' + b'a' * 200 + b' HTTP/1.1\r\n' + HOST + b'\r\n', 414),
    (b'GET / HTTP/1.1\r\n' + HOST + b'X-Long: ' + b'a' * 200 + b'\r\n\r\n', 431),
    (b'GET / HTTP/1.1\r\n' + HOST + b''.join(b'X-%d: 1234567890\r\n' % n for n in range(40))
     + b'\r\n', 431),
    (b'GET / HTTP/1.1\r\n' + HOST + b''.join(b'X-%d: 1\r\n' % n for n in range(11)) + b'\r\n',
     431),
])
def test_limits_of_the_head(data: bytes, status: int) -> None:
    limits = Limits(request_line=100, header_line=100, header_size=300, header_count=10)

    assert only_error(data, limits).status == status


def test_a_header_that_never_ends_is_refused_before_it_fills_memory() -> None:
    request_parser = RequestParser(Limits(request_line=100, header_line=100,
                                          header_size=100, header_count=10))
    request_parser.feed(b'GET / HTTP/1.1\r\n' + HOST + b'X-Endless: ')
    for _ in range(100):
        request_parser.feed(b'a' * 4096)
        if request_parser.dead:
            break

    assert request_parser.messages[0].error.status == 431
    assert request_parser._fed < parser.HEAD_SLACK + 4096 * 4


def test_expect_continue_is_noted_for_http_1_1_only() -> None:
    head = b' / HTTP/1.1\r\n' + HOST + b'Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n'

    assert parse(b'PUT' + head).messages[0].expect_continue
    assert not parse(b'PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n').messages[0].expect_continue


def test_an_upgrade_is_served_as_a_last_request() -> None:
    request_parser = parse(b'GET / HTTP/1.1\r\n' + HOST + b'Connection: upgrade\r\n'
                           b'Upgrade: websocket\r\n\r\nGET /smuggled HTTP/1.1\r\n' + HOST + b'\r\n')

    assert [(m.target, m.upgrade) for m in request_parser.messages] == [(b'/', True)]


def test_absolute_form_and_asterisk_with_options_are_accepted() -> None:
    messages = parse(b'GET http://api/x?y=1 HTTP/1.1\r\n' + HOST + b'\r\n'
                     b'OPTIONS * HTTP/1.1\r\n' + HOST + b'\r\n').messages

    assert [(m.target, m.error) for m in messages] == [
        (b'http://api/x?y=1', None), (b'*', None)]


def test_environ_keys() -> None:
    assert [parser.environ_key(name) for name in (b'Content-Type', b'X-Auth-Token', b'HOST')] == [
        'CONTENT_TYPE', 'HTTP_X_AUTH_TOKEN', 'HTTP_HOST']


@pytest.mark.parametrize('data', [
    b'GET / HTTP/1.1\r\n\r\n',  # no Host: links then use the server's address
    b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    b'POST / HTTP/1.1\r\n' + HOST + b'Transfer-Encoding: identity\r\n'
    b'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    b'GET https://user@[::1]:8443/x?y#z HTTP/1.1\r\n' + HOST + b'\r\n',
])
def test_what_is_framed_without_doubt_is_served(data: bytes) -> None:
    (message,) = parse(data).messages

    assert (message.error, message.complete) == (None, True)


def test_raw_utf8_in_the_request_line_is_percent_encoded() -> None:
    messages = parse('GET /caf\u00e9?q=\u00e0 HTTP/1.1\r\n'.encode() + HOST + b'\r\n'
                     + 'POST /x HTTP/1.1\r\nHost: api\r\nContent-Length: 2\r\n\r\n\u00e9'
                     .encode()).messages

    assert [(m.target, b''.join(m.body), m.error) for m in messages] == [
        (b'/caf%C3%A9?q=%C3%A0', b'', None), (b'/x', '\u00e9'.encode(), None)]
