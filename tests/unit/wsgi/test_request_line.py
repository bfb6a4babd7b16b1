from __future__ import annotations

import http

import pytest

from svcframe.wsgi import request_line


@pytest.mark.parametrize('text, expected', [
    ('GET /v1 HTTP/1.1', ('GET', '/v1', 'HTTP/1.1', True)),
    ('POST /v1/instances HTTP/1.0', ('POST', '/v1/instances', 'HTTP/1.0', False)),
    ('GET  /spaced   HTTP/1.1', ('GET', '/spaced', 'HTTP/1.1', True)),
    ('GET /', ('GET', '/', 'HTTP/0.9', False)),
    ('GET //evil.example/x HTTP/1.1', ('GET', '/evil.example/x', 'HTTP/1.1', True)),
    ('GET /x HTTP/01.01', ('GET', '/x', 'HTTP/01.01', True)),
])
def test_parses_method_path_version_and_default_keep_alive(text, expected):
    line = request_line.parse(text)
    assert (line.method, line.path, line.version, line.keep_alive) == expected


@pytest.mark.parametrize('text, status, message', [
    ('GARBAGE', 400, "Bad request syntax ('GARBAGE')"),
    ('GET / HTTP/1.1 extra', 400, 'Bad request syntax'),
    ('POST /', 400, "Bad HTTP/0.9 request type ('POST')"),
    ('GET / FTP/1.1', 400, "Bad request version ('FTP/1.1')"),
    ('GET / HTTP/1', 400, 'Bad request version'),
    ('GET / HTTP/1.x', 400, 'Bad request version'),
    ('GET / HTTP/1.\u00b2', 400, 'Bad request version'),  # a digit, but not ASCII
    ('GET / HTTP/1.12345678901', 400, 'Bad request version'),
    ('GET / HTTP/2.0', 505, 'Invalid HTTP version (2.0)'),
])
def test_refuses_a_bad_line_with_the_status_to_answer(text, status, message):
    with pytest.raises(request_line.BadRequestLine) as caught:
        request_line.parse(text)
    assert caught.value.status == http.HTTPStatus(status)
    assert message in str(caught.value)
