from __future__ import annotations

import io
import json
import logging

import pytest
import webob
import webob.exc

from svcframe.api.faults import FaultWrapper
from svcframe.wsgi import body as wsgi_body


def call(app) -> webob.Response:
    return webob.Request.blank('/thing').get_response(FaultWrapper(app))


def test_exception_becomes_a_json_500_without_details() -> None:
    def broken(environ, start_response):
        raise KeyError('secret-internal-detail')

    response = call(broken)

    assert response.status_code == 500
    assert response.content_type == 'application/json'
    error = response.json['error']
    assert error['code'] == 500 and error['title'] == 'Internal Server Error'
    assert 'secret-internal-detail' not in response.text
    assert 'Traceback' not in response.text


def test_raised_http_error_keeps_its_status_message_and_allow_header() -> None:
    def refusing(environ, start_response):
        raise webob.exc.HTTPMethodNotAllowed(detail='use GET', headers=[('Allow', 'GET')])

    response = call(refusing)

    assert response.status_code == 405
    assert response.headers['Allow'] == 'GET'
    assert response.json == {'error': {'code': 405, 'title': 'Method Not Allowed',
                                       'message': 'use GET'}}


def test_plain_text_error_from_inner_middleware_is_rewritten_as_json() -> None:
    def text_413(environ, start_response):
        start_response('413 Request Entity Too Large',
                       [('Content-Type', 'text/plain'), ('X-Kept', 'yes')])
        return [b'413 Request Entity Too Large\n\nRequest is too large.\n']

    response = call(text_413)

    assert response.status_code == 413
    assert response.headers['X-Kept'] == 'yes'
    assert response.json['error']['message'] == 'Request is too large.'


def test_json_and_successful_responses_pass_through_untouched() -> None:
    def ok(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/html')])
        return [b'<p>fine</p>']

    def json_404(environ, start_response):
        body = json.dumps({'error': {'code': 404, 'title': 'Not Found', 'message': 'x'}})
        start_response('404 Not Found', [('Content-Type', 'application/json')])
        return [body.encode()]

    assert call(ok).body == b'<p>fine</p>'
    assert call(json_404).json['error']['message'] == 'x'


def reading_app(environ, start_response):
    """An app that reads its body the way the controllers do."""
    body = webob.Request(environ).body
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [body]


class GoneInput:
    """wsgi.input of a client that stopped sending halfway."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, size: int = -1) -> bytes:
        raise self.error


@pytest.mark.parametrize('error, status', [
    (wsgi_body.BodyError(400, 'the request ended before its body did'), 400),
    (wsgi_body.BodyError(408, 'the request body stalled for 30 s'), 408),
    (wsgi_body.BodyError(None, 'the client is gone'), 400),
])
def test_an_unreadable_body_is_one_info_line_and_its_4xx(
        caplog: pytest.LogCaptureFixture, error: Exception, status: int) -> None:
    caplog.set_level(logging.DEBUG, logger='svcframe.api.faults')
    req = webob.Request.blank('/v1/instances\n2026 CRITICAL forged', method='POST')
    req.environ.update({'wsgi.input': GoneInput(error), 'CONTENT_LENGTH': '100',
                        'openstack.request_id': 'req-1'})

    response = req.get_response(FaultWrapper(reading_app))

    assert response.status_code == status
    assert response.json['error']['message'].startswith('The request body could not be read: ')
    [record] = [r for r in caplog.records if r.name == 'svcframe.api.faults']
    assert record.levelno == logging.INFO and record.exc_info is None
    message = record.getMessage()
    assert message.startswith('Request POST /v1/instances\\x0a2026 CRITICAL forged: '
                              'its body could not be read: ')
    assert message.endswith('(request id req-1)') and '\n' not in message


def test_a_body_shorter_than_its_content_length_under_any_server_is_a_400(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger='svcframe.api.faults')
    req = webob.Request.blank('/v1/instances', method='POST')
    req.environ.update({'wsgi.input': io.BytesIO(b'{"inst'), 'CONTENT_LENGTH': '100'})

    response = req.get_response(FaultWrapper(reading_app))

    assert response.status_code == 400
    assert [r.levelno for r in caplog.records if r.name == 'svcframe.api.faults'] == [
        logging.INFO]


def test_any_other_oserror_is_still_a_500_with_its_traceback_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    def disk_full(environ, start_response):
        raise OSError(28, 'No space left on device')

    response = call(disk_full)

    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.name == 'svcframe.api.faults']
    assert record.levelno == logging.ERROR and record.exc_info is not None


def test_the_failure_line_escapes_what_the_client_sent(
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(environ, start_response):
        raise KeyError('x')

    req = webob.Request.blank('/thing\x1b[2J\r\nforged')
    req.environ['openstack.request_id'] = 'req-\n1'
    req.get_response(FaultWrapper(broken))

    [record] = [r for r in caplog.records if r.name == 'svcframe.api.faults']
    assert record.getMessage() == ('Request GET /thing\\x1b[2J\\x0d\\x0aforged failed '
                                   '(request id req-\\x0a1)')
