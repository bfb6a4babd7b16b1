"""Links: from [api] public_endpoint, else a valid Host header, else the server's address."""

from __future__ import annotations

import urllib.parse

import pytest
import webob
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe import context
from svcframe.api import auth
from svcframe.api import policy
from svcframe.api.links import link_base, split_authority
from svcframe.api.router import APIRouter, VersionsRouter
from svcframe.db.api import Database


def environ(host: str | None = None, scheme: str = 'http', server: str = 'api-1',
            port: str = '8774') -> dict:
    env = {'wsgi.url_scheme': scheme, 'SERVER_NAME': server, 'SERVER_PORT': port}
    if host is not None:
        env['HTTP_HOST'] = host
    return env


@pytest.mark.parametrize('text, expected', [
    ('api.example.com', ('api.example.com', None)),
    ('api.example.com.:8774', ('api.example.com.', '8774')),
    ('localhost:1', ('localhost', '1')),
    ('192.0.2.10:65535', ('192.0.2.10', '65535')),
    ('[2001:db8::1]:8774', ('[2001:db8::1]', '8774')),
    ('[::ffff:192.0.2.1]', ('[::ffff:192.0.2.1]', None)),
])
def test_valid_authorities(text: str, expected: tuple) -> None:
    assert split_authority(text) == expected


@pytest.mark.parametrize('text', [
    '', ':8774', 'api.example.com:0', 'api.example.com:65536', 'api.example.com:', 'a:+80',
    'a:٨٠', 'under_score.example', '-leading.example', 'trailing-.example', 'a..b',
    'x' * 64 + '.example', '.'.join(['a' * 60] * 5), '256.1.1.1', '1.2.3', '01.2.3.4',
    '2001:db8::1', '[2001:db8::1', '[fe80::1%25eth0]', '[192.0.2.1]', 'user@host',
    'evil.example/path', 'evil.example"><script>', 'a b', 'host\r\nX-Injected: 1',
    'exämple.com',
])
def test_invalid_authorities(text: str) -> None:
    assert split_authority(text) is None


def test_a_valid_host_header_makes_the_links() -> None:
    assert link_base(environ('api.example:9000'), None) == 'http://api.example:9000'
    assert link_base(environ('api.example:443', scheme='https'), None) == 'https://api.example'


@pytest.mark.parametrize('host', [None, 'evil.example/"><x', 'api.example:99999', ''])
def test_otherwise_the_server_address_makes_them(host: str | None) -> None:
    assert link_base(environ(host), None) == 'http://api-1:8774'


@pytest.mark.parametrize('server, port, expected', [
    ('::', '8774', 'http://[::]:8774'),
    ('0.0.0.0', '80', 'http://0.0.0.0'),
    ('evil.example"', '8774', 'http://localhost:8774'),  # a server that copied a bad Host
    ('api-1', 'x', 'http://api-1'),
])
def test_the_server_address_is_checked_too(server: str, port: str, expected: str) -> None:
    assert link_base(environ('bad host', server=server, port=port), None) == expected


def test_a_scheme_other_than_http_or_https_is_not_copied() -> None:
    assert link_base(environ('api.example', scheme='javascript'), None) == 'http://api.example'


@pytest.mark.parametrize('endpoint, expected', [
    ('https://cloud.example', 'https://cloud.example'),
    ('https://cloud.example/', 'https://cloud.example'),
    ('https://cloud.example:8443/compute/', 'https://cloud.example:8443/compute'),
    ('http://cloud.example/compute?x=1#y', 'http://cloud.example/compute'),
])
def test_the_public_endpoint_wins_over_everything(endpoint: str, expected: str) -> None:
    assert link_base(environ('api.example:9000'), endpoint) == expected


@pytest.mark.parametrize('value', ['cloud.example', 'ftp://cloud.example', 'https://'])
def test_public_endpoint_must_be_an_http_url(conf: cfg.ConfigOpts, value: str) -> None:
    with pytest.raises(ValueError):
        conf.set_override('public_endpoint', value, group='api')


def versions_href(conf: cfg.ConfigOpts, path: str, host: str) -> str:
    router = VersionsRouter(conf, policy.make_enforcer(conf))
    req = webob.Request.blank(path, headers={'Host': host})
    req.environ.update(SERVER_NAME='api-1', SERVER_PORT='8774')
    document = req.get_response(router).json
    return document['versions'][0]['links'][0]['href']


def test_the_versions_document_uses_the_link_base(conf: cfg.ConfigOpts) -> None:
    assert versions_href(conf, '/', 'api.example:8774') == 'http://api.example:8774/v1/'
    assert versions_href(conf, '/', 'evil.example/"><x') == 'http://api-1:8774/v1/'

    conf.set_override('public_endpoint', 'https://cloud.example/compute/', group='api')

    assert versions_href(conf, '/', 'api.example:8774') == 'https://cloud.example/compute/v1/'


@pytest.fixture
def api(conf: cfg.ConfigOpts, database: Database) -> APIRouter:
    return APIRouter(conf, policy.make_enforcer(conf), database)


def get(api: APIRouter, path: str, host: str, script_name: str = '/v1') -> webob.Response:
    req = webob.Request.blank(path, headers={'Host': host})
    req.environ.update(SCRIPT_NAME=script_name, SERVER_NAME='api-1', SERVER_PORT='8774')
    req.environ[auth.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id='p', roles=['admin'], is_admin=True, overwrite=False)
    return req.get_response(api)


def test_the_v1_document_uses_the_link_base(api: APIRouter, conf: cfg.ConfigOpts,
                                            database: Database) -> None:
    assert get(api, '', 'bad host').json['version']['links'] == [
        {'rel': 'self', 'href': 'http://api-1:8774/v1/'}]
    conf.set_override('public_endpoint', 'https://cloud.example', group='api')
    api = APIRouter(conf, policy.make_enforcer(conf), database)  # as a start-up reads it
    assert get(api, '/', 'api.example').json['version']['links'] == [
        {'rel': 'self', 'href': 'https://cloud.example/v1/'}]


def test_the_public_endpoint_follows_a_reload(write_config, database: Database) -> None:
    path = write_config('[api]\npublic_endpoint = https://one.example\n')
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf(['--config-file', str(path)], project='svcframe-unit-tests', default_config_files=[])
    api = APIRouter(conf, policy.make_enforcer(conf), database)

    path.write_text('[api]\npublic_endpoint = https://two.example\n')
    conf.mutate_config_files()  # what SIGHUP does

    assert get(api, '/', 'api.example').json['version']['links'] == [
        {'rel': 'self', 'href': 'https://two.example/v1/'}]


@pytest.mark.parametrize('endpoint, host, expected', [
    (None, 'api.example:8774', 'http://api.example:8774/v1/services'),
    (None, 'evil.example/"><x', 'http://api-1:8774/v1/services'),
    ('https://cloud.example/compute', 'api.example:8774',
     'https://cloud.example/compute/v1/services'),
])
def test_services_next_links_use_the_link_base(
        conf: cfg.ConfigOpts, database: Database,
        endpoint: str | None, host: str, expected: str) -> None:
    for index in range(2):
        database.service_create('node-%d' % index, 'svcframe-compute', 'compute')
    conf.set_override('public_endpoint', endpoint, group='api')
    api = APIRouter(conf, policy.make_enforcer(conf), database)

    [link] = get(api, '/services?limit=1', host).json['services_links']

    href = urllib.parse.urlsplit(link['href'])
    assert href._replace(query='').geturl() == expected
    assert urllib.parse.parse_qs(href.query)['limit'] == ['1']
