"""noauth: the caller the X-* headers describe, and the values it refuses."""

from __future__ import annotations

import pytest
import webob
from oslo_config import cfg

from svcframe.api import auth
from svcframe.api import policy
from svcframe.api.router import APIRouter
from svcframe.db import instances
from svcframe.db.api import Database


def echo_identity(environ, start_response):
    context = environ[auth.CONTEXT_KEY]
    body = {'user': context.user_id, 'project': context.project_id, 'roles': context.roles}
    return webob.Response(json_body=body)(environ, start_response)


@pytest.fixture
def app(conf: cfg.ConfigOpts):
    return auth.NoAuth(auth.ContextFilter(echo_identity, policy.make_enforcer(conf)))


@pytest.mark.parametrize('headers, expected', [
    ({'X-User-Id': 'u1', 'X-Project-Id': 'p1', 'X-Roles': 'member, reader'},
     {'user': 'u1', 'project': 'p1', 'roles': ['member', 'reader']}),
    ({'X-User-Id': 'a' * 64, 'X-Project-Id': '0123456789abcdef0123456789abcdef'},
     {'user': 'a' * 64, 'project': '0123456789abcdef0123456789abcdef', 'roles': []}),
    ({'X-User-Id': 'u_1-x'}, {'user': 'u_1-x', 'project': None, 'roles': []}),
    ({'X-Roles': 'load-balancer:observer, svc.admin'},
     {'user': None, 'project': None, 'roles': ['load-balancer:observer', 'svc.admin']}),
    ({'X-Project-Id': 'p1', 'X-Roles': ''}, {'user': None, 'project': 'p1', 'roles': []}),
])
def test_valid_headers_describe_the_caller(app, headers: dict, expected: dict) -> None:
    response = webob.Request.blank('/', headers=headers).get_response(app)

    assert response.status_code == 200
    assert response.json == expected


@pytest.mark.parametrize('name, value', [
    ('X-Project-Id', 'None'),
    ('X-Project-Id', ''),
    ('X-Project-Id', 'p' * 65),
    ('X-Project-Id', 'p1\r\nX-Roles: admin'),
    ('X-Project-Id', 'p\x1b[2J'),
    ('X-Project-Id', 'p 1'),
    ('X-User-Id', 'None'),
    ('X-User-Id', 'u\n2026-01-01 CRITICAL forged'),
    ('X-User-Id', 'caf\u00e9'),
    ('X-Roles', 'member,adm\x00in'),
    ('X-Roles', 'r' * 65),
])
def test_a_bad_id_or_role_is_a_400_naming_the_header(app, name: str, value: str) -> None:
    headers = {'X-User-Id': 'u1', 'X-Project-Id': 'p1', name: value}

    response = webob.Request.blank('/', headers=headers).get_response(app)

    assert response.status_code == 400
    message = response.json['error']['message']
    assert message.startswith('%s must be ' % name)
    assert '\n' not in message and '\x1b' not in message


def test_a_long_bad_value_is_shortened_in_the_message(app) -> None:
    response = webob.Request.blank('/', headers={'X-User-Id': 'u' * 10_000}).get_response(app)

    assert response.status_code == 400
    assert len(response.json['error']['message']) < 200


def test_project_none_cannot_reach_instances_created_with_no_project(
        conf: cfg.ConfigOpts, database: Database) -> None:
    orphan = instances.create(database, name='old', vcpus=1, memory_mb=1, project_id=None,
                              user_id=None)
    enforcer = policy.make_enforcer(conf)
    app = auth.NoAuth(auth.ContextFilter(APIRouter(conf, enforcer, database), enforcer))
    member = {'X-User-Id': 'u1', 'X-Roles': 'member'}

    refused = webob.Request.blank('/instances/%s' % orphan.uuid,
                                  headers=dict(member, **{'X-Project-Id': 'None'}))
    assert refused.get_response(app).status_code == 400
    # Without a project at all, the orphan is as missing as any other id.
    without = webob.Request.blank('/instances/%s' % orphan.uuid, headers=member)
    assert without.get_response(app).status_code == 404
    listing = webob.Request.blank('/instances', headers=member).get_response(app)
    assert listing.json == {'instances': []}
