from __future__ import annotations

import logging

import pytest
import webob

from svcframe.api import auth
from svcframe.api.request_log import RequestLog
from svcframe.wsgi import access_log


def not_found(environ, start_response):
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'no']


def call(environ: dict) -> webob.Response:
    request = webob.Request.blank('/v1/thing', environ=environ)
    request.environ['openstack.request_id'] = 'req-1'
    return request.get_response(RequestLog(not_found))


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger='svcframe.api.request_log')
    return caplog


def test_writes_a_line_where_no_server_wrote_an_access_line(
        log: pytest.LogCaptureFixture) -> None:
    response = call({})

    assert response.status_code == 404
    [record] = [r for r in log.records if r.name == 'svcframe.api.request_log']
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith('GET /v1/thing -> 404 in ')
    assert 'request id req-1' in record.getMessage()


def test_writes_nothing_when_the_server_wrote_an_access_line(
        log: pytest.LogCaptureFixture) -> None:
    response = call({access_log.ENVIRON_KEY: True})

    assert response.status_code == 404
    assert response.body == b'no'
    assert [r for r in log.records if r.name == 'svcframe.api.request_log'] == []


def test_what_the_client_sent_is_escaped_so_the_line_stays_one_line(
        log: pytest.LogCaptureFixture) -> None:
    request = webob.Request.blank('/v1/x\r\n2026-01-01 CRITICAL forged\x1b[2J')
    request.environ.update({'openstack.request_id': 'req-\n1',
                            auth.IDENTITY_KEY: {'user_id': 'u\x85'}})
    request.get_response(RequestLog(not_found))

    [record] = [r for r in log.records if r.name == 'svcframe.api.request_log']
    message = record.getMessage()
    assert message.startswith('GET /v1/x\\x0d\\x0a2026-01-01 CRITICAL forged\\x1b[2J -> 404 ')
    assert message.endswith('(request id req-\\x0a1, user u\\x85)')
    assert message.splitlines() == [message]
