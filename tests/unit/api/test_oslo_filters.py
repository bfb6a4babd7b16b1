from __future__ import annotations

import re

import webob
from oslo_config import cfg

from svcframe.api import oslo_filters


def echo_environ(environ, start_response):
    response = webob.Response(json_body={
        'request_id': environ.get('openstack.request_id'),
        'global_request_id': environ.get('openstack.global_request_id'),
        'scheme': environ['wsgi.url_scheme']})
    return response(environ, start_response)


def test_request_id_is_in_the_environ_and_the_response() -> None:
    response = webob.Request.blank('/').get_response(oslo_filters.RequestId(echo_environ))

    request_id = response.headers['x-openstack-request-id']
    assert re.match(r'^req-[0-9a-f-]{36}$', request_id)
    assert response.json['request_id'] == request_id


def test_a_valid_inbound_request_id_becomes_the_global_one() -> None:
    inbound = 'req-12345678-1234-1234-1234-123456789abc'
    filtered = oslo_filters.RequestId(echo_environ)

    good = webob.Request.blank('/', headers={'X-Openstack-Request-Id': inbound})
    bad = webob.Request.blank('/', headers={'X-Openstack-Request-Id': 'forged'})

    assert good.get_response(filtered).json['global_request_id'] == inbound
    assert bad.get_response(filtered).json['global_request_id'] is None


def test_an_existing_request_id_header_is_not_doubled() -> None:
    def with_header(environ, start_response):
        start_response('200 OK', [('X-OpenStack-Request-Id', 'req-inner')])
        return [b'']

    response = webob.Request.blank('/').get_response(oslo_filters.RequestId(with_header))

    assert response.headers.getall('x-openstack-request-id') == ['req-inner']


def test_proxy_headers_are_honoured_only_when_enabled() -> None:
    conf = cfg.ConfigOpts()
    conf([], project='svcframe-unit-tests', default_config_files=[])
    filtered = oslo_filters.HTTPProxyToWSGI(echo_environ, conf)
    forwarded = {'X-Forwarded-Proto': 'https'}

    assert webob.Request.blank('/', headers=forwarded).get_response(
        filtered).json['scheme'] == 'http'
    conf.set_override('enable_proxy_headers_parsing', True, group='oslo_middleware')
    # An option that is not mutable: read when the pipeline is built.
    filtered = oslo_filters.HTTPProxyToWSGI(echo_environ, conf)
    assert webob.Request.blank('/', headers=forwarded).get_response(
        filtered).json['scheme'] == 'https'
