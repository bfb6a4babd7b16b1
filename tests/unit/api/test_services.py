from __future__ import annotations

import json

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


def test_delete_removes_the_record(api: APIRouter, database: Database) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    assert call(api, 'DELETE', '/services/%d' % service.id).status_code == 204

    assert database.service_get_all() == []
    assert call(api, 'DELETE', '/services/%d' % service.id).status_code == 404


@pytest.mark.parametrize('method, path', [('PUT', '/services/42'), ('DELETE', '/services/42'),
                                          ('PUT', '/services/abc')])
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
