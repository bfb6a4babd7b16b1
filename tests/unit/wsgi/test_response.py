from __future__ import annotations

import sys

import pytest

from svcframe.wsgi.response import Response


def response(version: str = 'HTTP/1.1', head_only: bool = False,
             keep_alive: bool = True) -> tuple[Response, list[bytes]]:
    sent: list[bytes] = []
    return Response(version, head_only, keep_alive, lambda: True, sent.append), sent


def parts(sent: list[bytes]) -> tuple[list[str], bytes]:
    head, _, body = b''.join(sent).partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    return [line for line in lines if not line.startswith('Date: ')], body


def test_a_list_body_gets_its_length_in_one_send() -> None:
    answer, sent = response()
    answer.start_response('200 OK', [('Content-Type', 'text/plain')])

    answer.send_whole(b'hello')

    assert len(sent) == 1
    assert parts(sent) == (['HTTP/1.1 200 OK', 'Content-Type: text/plain',
                            'Content-Length: 5'], b'hello')
    assert (answer.length, answer.keep_alive) == (5, True)


def test_a_stream_without_length_is_chunked_on_http_1_1() -> None:
    answer, sent = response()
    answer.start_response('200 OK', [])

    for chunk in (b'ab', b'', b'cde'):
        answer.write(chunk)
    answer.finish()

    assert parts(sent) == (['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'],
                           b'2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n')


def test_an_empty_stream_is_a_zero_length_body() -> None:
    answer, sent = response()
    answer.start_response('200 OK', [])

    answer.finish()

    assert parts(sent) == (['HTTP/1.1 200 OK', 'Content-Length: 0'], b'')
    assert answer.keep_alive


def test_a_stream_on_http_1_0_ends_with_the_connection() -> None:
    answer, sent = response('HTTP/1.0')
    answer.start_response('200 OK', [])

    answer.write(b'abc')
    answer.finish()

    assert parts(sent) == (['HTTP/1.0 200 OK', 'Connection: close'], b'abc')
    assert not answer.keep_alive


def test_head_keeps_the_length_and_sends_no_body() -> None:
    answer, sent = response(head_only=True)
    answer.start_response('200 OK', [('Content-Length', '5')])

    answer.send_whole(b'hello')

    assert parts(sent) == (['HTTP/1.1 200 OK', 'Content-Length: 5'], b'')
    assert answer.keep_alive


def test_a_body_shorter_than_its_content_length_closes_the_connection() -> None:
    answer, sent = response()
    answer.start_response('200 OK', [('Content-Length', '10')])

    answer.write(b'short')
    answer.finish()

    assert not answer.keep_alive


@pytest.mark.parametrize('headers', [[('X-Evil', 'a\r\nSet-Cookie: x=1')],
                                     [('X-Evil\n', 'a')]])
def test_a_line_break_in_a_header_is_refused(headers: list) -> None:
    answer, sent = response()
    answer.start_response('200 OK', headers)

    with pytest.raises(ValueError):
        answer.send_whole(b'')
    assert sent == []


def test_the_app_may_not_choose_the_connection() -> None:
    answer, sent = response()
    answer.start_response('200 OK', [('Connection', 'close'), ('Content-Length', '0')])

    answer.send_whole(b'')

    assert parts(sent)[0] == ['HTTP/1.1 200 OK', 'Content-Length: 0', 'Connection: close']
    assert not answer.keep_alive


def test_exc_info_after_the_head_was_sent_raises_the_error() -> None:
    answer, _ = response()
    answer.start_response('200 OK', [])
    answer.write(b'x')

    try:
        raise KeyError('late')
    except KeyError:
        with pytest.raises(KeyError):
            answer.start_response('500 Internal Server Error', [], sys.exc_info())
