from __future__ import annotations

import json

import webob
import webob.exc

from svcframe.api.faults import FaultWrapper


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
