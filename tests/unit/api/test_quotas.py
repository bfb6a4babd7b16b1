"""The quotas API, and the 403 an over-quota create gets."""

from __future__ import annotations

from typing import Any

import pytest
from oslo_config import cfg

from svcframe.api import policy
from svcframe.api.router import APIRouter
from svcframe.db.api import Database
from tests.unit.api.test_instances import FakeConductor, call


@pytest.fixture
def api(conf: cfg.ConfigOpts, database: Database) -> APIRouter:
    conf.set_override('instances', 2, group='quota')
    conf.set_override('vcpus', 3, group='quota')
    return APIRouter(conf, policy.make_enforcer(conf), database, conductor=FakeConductor())


def post(api: APIRouter, vcpus: int = 1, project: str = 'p1') -> Any:
    return call(api, 'POST', '/instances',
                {'instance': {'name': 'vm', 'vcpus': vcpus, 'memory_mb': 512}},
                project=project)


def test_show_gives_the_limits_and_the_usage(api: APIRouter) -> None:
    assert post(api, vcpus=2).status_int == 202

    response = call(api, 'GET', '/quotas/p1')

    assert response.status_int == 200
    assert response.json == {'quota': {
        'project_id': 'p1', 'limits': {'instances': 2, 'vcpus': 3, 'memory_mb': 51200},
        'usage': {'instances': 1, 'vcpus': 2, 'memory_mb': 512}}}


def test_a_member_reads_its_own_quota_but_not_another_projects(api: APIRouter) -> None:
    assert call(api, 'GET', '/quotas/p1', project='p1').status_int == 200
    assert call(api, 'GET', '/quotas/p2', project='p1').status_int == 403


def test_an_admin_sets_limits_and_creates_follow_them(api: APIRouter) -> None:
    response = call(api, 'PUT', '/quotas/p1', {'quota': {'vcpus': 8, 'instances': -1}},
                    admin=True)
    assert response.status_int == 200
    assert response.json['quota']['limits'] == {'instances': -1, 'vcpus': 8,
                                                 'memory_mb': 51200}

    for _ in range(4):
        assert post(api, vcpus=2).status_int == 202
    refused = post(api, vcpus=1)

    assert refused.status_int == 403
    assert refused.json['error']['message'] == (
        'quota vcpus of project p1 exceeded: 8 in use + 1 requested > limit 8.')


def test_over_quota_is_a_403_naming_quota_limit_and_usage(api: APIRouter) -> None:
    assert post(api).status_int == 202
    assert post(api).status_int == 202

    refused = post(api)

    assert refused.status_int == 403
    assert 'quota instances of project p1 exceeded: 2 in use + 1 requested > limit 2' in \
        refused.json['error']['message']
    assert post(api, project='p2').status_int == 202  # another project's own quota


def test_only_an_admin_sets_a_quota(api: APIRouter) -> None:
    response = call(api, 'PUT', '/quotas/p1', {'quota': {'vcpus': 100}})
    assert response.status_int == 403
    assert call(api, 'GET', '/quotas/p1').json['quota']['limits']['vcpus'] == 3


@pytest.mark.parametrize('body, message', [
    ({'quota': {'vcpus': -2}}, '"vcpus" must be an integer from -1 (no limit)'),
    ({'quota': {'vcpus': '5'}}, '"vcpus" must be an integer'),
    ({'quota': {'memory_mb': True}}, '"memory_mb" must be an integer'),
    ({'quota': {'instances': 1.5}}, '"instances" must be an integer'),
    ({'quota': {'instances': 2 ** 31}}, '"instances" must be an integer'),
    ({'quota': {'disks': 1}}, 'Unknown quota(s) "disks"'),
    ({'quota': {}}, 'names no limit'),
    ({'vcpus': 1}, '{"quota": {...}}'),
    (b'[[[', 'not valid JSON'),
])
def test_a_bad_body_is_a_400_naming_the_field(api: APIRouter, body: object,
                                              message: str) -> None:
    response = call(api, 'PUT', '/quotas/p1', body, admin=True)
    assert response.status_int == 400
    assert message in response.json['error']['message']


def test_a_bad_project_id_is_a_400(api: APIRouter) -> None:
    response = call(api, 'GET', '/quotas/%s' % ('x' * 256), admin=True)
    assert response.status_int == 400
    assert 'project id' in response.json['error']['message']
    assert call(api, 'GET', '/quotas/None', admin=True).status_int == 400
