from __future__ import annotations

import io

import pytest

from svcframe.wsgi import headers


def read(block: bytes):
    return headers.read_headers(io.BytesIO(block))


def test_reads_names_and_values_case_insensitively():
    message = read(b'Host: example.org\r\nX-Roles:  admin, member \r\n'
                   b'Content-Type: application/json\r\n\r\nbody')
    assert message['host'] == 'example.org'
    assert message['x-roles'] == 'admin, member'
    assert message.get_content_type() == 'application/json'
    assert message.items() == [('Host', 'example.org'), ('X-Roles', 'admin, member'),
                               ('Content-Type', 'application/json')]


def test_stops_at_the_blank_line_and_leaves_the_body_unread():
    rfile = io.BytesIO(b'A: 1\n\nbody')
    assert headers.read_headers(rfile)['a'] == '1'
    assert rfile.read() == b'body'


def test_repeated_headers_are_all_kept():
    message = read(b'Cookie: a=1\r\nCookie: b=2\r\n\r\n')
    assert message.get_all('cookie') == ['a=1', 'b=2']


def test_an_empty_value_is_kept():
    assert read(b'X-Empty:\r\n\r\n')['x-empty'] == ''


def test_end_of_input_ends_the_block():
    assert read(b'A: 1\r\n')['a'] == '1'


@pytest.mark.parametrize('line', [b'no colon here', b' folded: continuation',
                                  b': no name', b'bad name: x', b'a\x00b: x'])
def test_malformed_lines_are_refused(line):
    with pytest.raises(headers.BadHeaders, match='malformed header line'):
        read(b'Host: x\r\n' + line + b'\r\n\r\n')


def test_more_than_the_limit_of_headers_is_refused():
    block = b''.join(b'X-%d: 1\r\n' % i for i in range(headers.MAX_HEADERS + 1))
    with pytest.raises(headers.TooManyHeaders, match='more than 100'):
        read(block + b'\r\n')
    assert len(read(block[block.index(b'\r\n') + 2:] + b'\r\n')) == headers.MAX_HEADERS
