from __future__ import annotations

import json
import urllib.parse

import pytest
import webob
from oslo_config import cfg

from svcframe import context
from svcframe import exception
from svcframe.api import auth
from svcframe.api import policy
from svcframe.api.router import APIRouter
from svcframe.db.api import Database


@pytest.fixture
def api(conf: cfg.ConfigOpts, database: Database) -> APIRouter:
    return APIRouter(conf, policy.make_enforcer(conf), database)


def call(api: APIRouter, method: str, path: str, body: object = None,
         admin: bool = True) -> webob.Response:
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.body = body if isinstance(body, bytes) else json.dumps(body).encode()
    roles = ['admin'] if admin else ['member']
    req.environ[auth.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id='p', roles=roles, is_admin=admin, overwrite=False)
    return req.get_response(api)


def test_list_shows_every_field_and_the_state(api: APIRouter, database: Database) -> None:
    seen = database.service_create('node-1', 'svcframe-compute', 'compute')
    database.service_report(seen.id)
    database.service_create('node-2', 'svcframe-conductor', 'conductor')

    services = call(api, 'GET', '/services').json['services']

    assert [(s['host'], s['state']) for s in services] == [('node-1', 'up'), ('node-2', 'down')]
    assert set(services[0]) == {'id', 'binary', 'host', 'topic', 'status', 'disabled_reason',
                                'state', 'forced_down', 'updated_at', 'report_count'}
    assert (services[0]['status'], services[0]['report_count']) == ('enabled', 1)


def test_list_filters_by_host_and_binary(api: APIRouter, database: Database) -> None:
    database.service_create('node-1', 'svcframe-compute', 'compute')
    database.service_create('node-1', 'svcframe-conductor', 'conductor')
    database.service_create('node-2', 'svcframe-compute', 'compute')

    by_host = call(api, 'GET', '/services?host=node-1').json['services']
    by_both = call(api, 'GET', '/services?host=node-2&binary=svcframe-compute').json['services']

    assert len(by_host) == 2
    assert [(s['host'], s['binary']) for s in by_both] == [('node-2', 'svcframe-compute')]


@pytest.mark.parametrize('body, expected', [
    ({'status': 'disabled', 'disabled_reason': 'disk swap'},
     {'status': 'disabled', 'disabled_reason': 'disk swap'}),
    ({'status': 'disabled', 'disabled_reason': 'caf\u00e9 \\ r\u00e9paration \u2013 ok'},
     {'status': 'disabled', 'disabled_reason': 'caf\u00e9 \\ r\u00e9paration \u2013 ok'}),
    ({'status': 'disabled', 'disabled_reason': 'x' * 255},
     {'status': 'disabled', 'disabled_reason': 'x' * 255}),
    ({'service': {'status': 'disabled'}}, {'status': 'disabled', 'disabled_reason': None}),
    ({'status': 'enabled'}, {'status': 'enabled', 'disabled_reason': None}),
    ({'forced_down': True}, {'forced_down': True, 'state': 'down'}),
])
def test_update(api: APIRouter, database: Database, body: dict, expected: dict) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    response = call(api, 'PUT', '/services/%d' % service.id, body)

    assert response.status_code == 200
    shown = response.json['service']
    assert {key: shown[key] for key in expected} == expected


@pytest.mark.parametrize('body', [
    b'{nope', b'[]', b'{}', {'status': 'paused'}, {'status': 'enabled', 'disabled_reason': 'x'},
    {'disabled_reason': 'alone'}, {'forced_down': 'yes'}, {'colour': 'blue'},
    {'status': 'disabled', 'disabled_reason': 'x' * 256},
    {'status': 'disabled', 'disabled_reason': 7}])
def test_malformed_update_is_a_400_and_changes_nothing(api: APIRouter, database: Database,
                                                       body: object) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    response = call(api, 'PUT', '/services/%d' % service.id, body)

    assert response.status_code == 400
    assert response.json['error']['code'] == 400
    stored = database.service_get(service.id)
    assert (stored.disabled, stored.forced_down, stored.disabled_reason) == (False, False, None)


@pytest.mark.parametrize('reason, holds', [
    ('swap\n2026-01-01 00:00:00 CRITICAL forged', 'U+000A at position 4'),
    ('\x1b[31mred\x1b[0m', 'U+001B at position 0'),
    ('tab\there', 'U+0009 at position 3'),
    ('x\x85y', 'U+0085 at position 1'),
    ('x\u2029y', 'U+2029 at position 1'),
])
def test_a_reason_with_control_characters_is_a_400_naming_the_field_and_character(
        api: APIRouter, database: Database, reason: str, holds: str) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    response = call(api, 'PUT', '/services/%d' % service.id,
                    {'status': 'disabled', 'disabled_reason': reason})

    assert response.status_code == 400
    message = response.json['error']['message']
    assert message.startswith('"disabled_reason" must not hold control characters')
    assert message.endswith('it holds %s.' % holds)
    assert database.service_get(service.id).disabled is False


def test_delete_removes_the_record(api: APIRouter, database: Database) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    assert call(api, 'DELETE', '/services/%d' % service.id).status_code == 204

    assert database.service_get_all() == []
    assert call(api, 'DELETE', '/services/%d' % service.id).status_code == 404


@pytest.mark.parametrize('method, path', [('PUT', '/services/42'), ('DELETE', '/services/42'),
                                          ('PUT', '/services/abc'),
                                          ('DELETE', '/services/99999999999999999999'),
                                          ('PUT', '/services/%C2%B2')])  # a digit, not ASCII
def test_unknown_service_is_a_404(api: APIRouter, method: str, path: str) -> None:
    response = call(api, method, path, {'status': 'enabled'})

    assert response.status_code == 404
    assert response.json['error']['code'] == 404


@pytest.mark.parametrize('method, path', [('GET', '/services'), ('PUT', '/services/1'),
                                          ('DELETE', '/services/1')])
def test_non_admin_is_refused_with_403(api: APIRouter, database: Database, method: str,
                                       path: str) -> None:
    database.service_create('node-1', 'svcframe-compute', 'compute')

    response = call(api, method, path, {'status': 'disabled'}, admin=False)

    assert response.status_code == 403
    assert database.service_get(1).disabled is False


class UnreachableDatabase:
    def service_get_all(self, **filters):
        raise exception.DatabaseUnavailable('postgresql://svc:***@db/x', 'connection refused')


def test_unreachable_database_is_a_503_without_its_details(conf: cfg.ConfigOpts) -> None:
    api = APIRouter(conf, policy.make_enforcer(conf), UnreachableDatabase())

    response = call(api, 'GET', '/services')

    assert response.status_code == 503
    assert response.json['error']['code'] == 503
    assert 'db/x' not in response.text


def create_services(database: Database, count: int, host: str = 'node') -> list[int]:
    return [database.service_create('%s-%d' % (host, index), 'svcframe-compute', 'compute').id
            for index in range(count)]


def next_path(response: webob.Response) -> str | None:
    """The next link as a path the test app takes, or None on the last page."""
    links = response.json.get('services_links')
    if links is None:
        return None
    [link] = links
    assert link['rel'] == 'next'
    href = urllib.parse.urlsplit(link['href'])
    assert href.path == '/services'
    return '/services?' + href.query


def test_list_comes_in_pages_of_max_limit_with_next_links(
        api: APIRouter, database: Database, conf: cfg.ConfigOpts) -> None:
    conf.set_override('max_limit', 2, group='api')
    ids = create_services(database, 5)

    pages, path = [], '/services'
    while path is not None:
        response = call(api, 'GET', path)
        assert response.status_code == 200
        pages.append([service['id'] for service in response.json['services']])
        path = next_path(response)

    assert pages == [ids[0:2], ids[2:4], ids[4:5]]


def test_limit_asks_for_fewer_and_is_capped_by_max_limit(
        api: APIRouter, database: Database, conf: cfg.ConfigOpts) -> None:
    conf.set_override('max_limit', 3, group='api')
    ids = create_services(database, 5)

    one = call(api, 'GET', '/services?limit=1')
    capped = call(api, 'GET', '/services?limit=1000')

    assert [s['id'] for s in one.json['services']] == ids[:1]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(
        one.json['services_links'][0]['href']).query) == {'limit': ['1'],
                                                          'marker': [str(ids[0])]}
    assert [s['id'] for s in capped.json['services']] == ids[:3]


def test_a_full_last_page_has_no_next_link(api: APIRouter, database: Database) -> None:
    create_services(database, 2)

    response = call(api, 'GET', '/services?limit=2')

    assert len(response.json['services']) == 2
    assert 'services_links' not in response.json


def test_max_limit_is_read_per_request(api: APIRouter, database: Database,
                                       conf: cfg.ConfigOpts) -> None:
    create_services(database, 3)
    assert len(call(api, 'GET', '/services').json['services']) == 3

    conf.set_override('max_limit', 1, group='api')  # as a SIGHUP reload would

    assert len(call(api, 'GET', '/services').json['services']) == 1


def test_pages_keep_the_filters(api: APIRouter, database: Database) -> None:
    on_a = create_services(database, 3, host='a')
    database.service_create('b-0', 'svcframe-compute', 'compute')
    database.service_create('a-0', 'svcframe-conductor', 'conductor')

    first = call(api, 'GET', '/services?binary=svcframe-compute&limit=2')
    second = call(api, 'GET', next_path(first))

    assert [s['id'] for s in first.json['services']] == on_a[:2]
    assert [s['host'] for s in second.json['services']] == ['a-2', 'b-0']
    assert 'services_links' not in second.json


def test_a_marker_deleted_since_its_page_still_marks_the_place(
        api: APIRouter, database: Database) -> None:
    ids = create_services(database, 3)
    first = call(api, 'GET', '/services?limit=1')
    database.service_destroy(ids[0])

    second = call(api, 'GET', next_path(first))

    assert second.status_code == 200
    assert [s['id'] for s in second.json['services']] == ids[1:2]


@pytest.mark.parametrize('query, named, allowed', [
    ('limit=0', '"limit"', 'a whole number of 1 or more'),
    ('limit=-1', '"limit"', 'a whole number of 1 or more'),
    ('limit=abc', '"limit"', 'a whole number of 1 or more'),
    ('limit=1.5', '"limit"', 'a whole number of 1 or more'),
    ('limit=', '"limit"', 'a whole number of 1 or more'),
    ('limit=%EF%BC%91', '"limit"', 'a whole number of 1 or more'),
    ('marker=abc', '"marker"', 'the id of the last service of the previous page'),
    ('marker=999', 'marker 999', 'the id of the last service of the previous page'),
    ('marker=99999999999999999999', 'marker 99999999999999999999', 'the id of the last service'),
    ('hosts=node-1', 'hosts', 'allowed: host, binary, limit, marker'),
    ('limit=1&limit=2', 'limit', 'give each once'),
])
def test_bad_list_parameters_are_a_400_naming_them(api: APIRouter, database: Database,
                                                   query: str, named: str,
                                                   allowed: str) -> None:
    create_services(database, 1)

    response = call(api, 'GET', '/services?' + query)

    assert response.status_code == 400
    message = response.json['error']['message']
    assert named in message and allowed in message


@pytest.mark.parametrize('path, query', [('/services/\xb2', ''), ('/services', 'host=%B2')])
def test_a_url_that_is_not_utf8_is_a_400(api: APIRouter, path: str, query: str) -> None:
    req = webob.Request.blank('/')
    # As the server passes them on: PATH_INFO decoded as latin-1, the query raw.
    req.environ.update(PATH_INFO=path, QUERY_STRING=query)
    req.environ[auth.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id='p', roles=['admin'], is_admin=True, overwrite=False)

    response = req.get_response(api)

    assert response.status_code == 400
    assert 'not valid UTF-8' in response.json['error']['message']


def test_show_answers_one_service_as_the_list_does(api: APIRouter, database: Database) -> None:
    ids = create_services(database, 2)
    database.service_update(ids[1], {'disabled': True, 'disabled_reason': 'maintenance'})

    shown = call(api, 'GET', '/services/%d' % ids[1])
    head = call(api, 'HEAD', '/services/%d' % ids[1])

    assert shown.status_code == 200
    assert shown.json == {'service': call(api, 'GET', '/services').json['services'][1]}
    assert shown.json['service']['disabled_reason'] == 'maintenance'
    assert head.status_code == 200 and head.body == b''
    assert head.headers['Content-Length'] == shown.headers['Content-Length']


@pytest.mark.parametrize('path', ['/services/42', '/services/abc', '/services/%C2%B2',
                                  '/services/99999999999999999999'])
def test_show_of_an_unknown_service_is_a_404(api: APIRouter, database: Database,
                                             path: str) -> None:
    create_services(database, 1)

    response = call(api, 'GET', path)

    assert response.status_code == 404
    assert response.json['error']['code'] == 404


def test_show_is_for_admins(api: APIRouter, database: Database) -> None:
    [service_id] = create_services(database, 1)

    response = call(api, 'GET', '/services/%d' % service_id, admin=False)

    assert response.status_code == 403
    assert response.json['error']['message'] == \
        'Policy "admin_api" does not allow this request.'


def test_a_deleted_service_is_a_404_on_show(api: APIRouter, database: Database) -> None:
    [service_id] = create_services(database, 1)
    database.service_destroy(service_id)

    assert call(api, 'GET', '/services/%d' % service_id).status_code == 404
