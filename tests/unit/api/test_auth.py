from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import pytest
import webob
from oslo_config import cfg

from svcframe import exception
from svcframe.api import auth
from svcframe.api import policy


def echo_context(environ, start_response):
    """An app that answers with the context the filters built."""
    context = environ[auth.CONTEXT_KEY]
    body = {'user': context.user_id, 'project': context.project_id,
            'roles': context.roles, 'admin': context.is_admin,
            'request_id': context.request_id}
    response = webob.Response(json_body=body)
    return response(environ, start_response)


def pipeline(conf: cfg.ConfigOpts):
    context_filter = auth.ContextFilter(echo_context, policy.make_enforcer(conf))
    return auth.auth_filter(conf)(context_filter)


def test_noauth_without_headers_is_an_admin(conf: cfg.ConfigOpts) -> None:
    req = webob.Request.blank('/', environ={'openstack.request_id': 'req-1'})

    body = req.get_response(pipeline(conf)).json

    assert body == {'user': 'admin', 'project': 'admin', 'roles': ['admin'],
                    'admin': True, 'request_id': 'req-1'}


def test_noauth_headers_describe_the_caller(conf: cfg.ConfigOpts) -> None:
    req = webob.Request.blank('/', headers={'X-User-Id': 'u1', 'X-Project-Id': 'p1',
                                            'X-Roles': 'member, reader'})

    body = req.get_response(pipeline(conf)).json

    assert (body['user'], body['project'], body['roles'], body['admin']) == (
        'u1', 'p1', ['member', 'reader'], False)


@pytest.fixture
def basic_conf(conf: cfg.ConfigOpts, tmp_path: Path) -> cfg.ConfigOpts:
    users = tmp_path / 'htpasswd'
    users.write_text('alice:%s\n' % bcrypt.hashpw(b'pw', bcrypt.gensalt(4)).decode())
    conf.set_override('auth_strategy', 'http_basic', group='api')
    conf.set_override('http_basic_auth_user_file', str(users), group='api')
    return conf


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return {'Authorization': 'Basic ' + token}


@pytest.mark.parametrize('headers', [{}, basic('alice', 'wrong'), basic('bob', 'pw'),
                                     {'Authorization': 'Bearer x'}])
def test_http_basic_refuses_with_a_json_401(basic_conf: cfg.ConfigOpts, headers) -> None:
    response = webob.Request.blank('/', headers=headers).get_response(pipeline(basic_conf))

    assert response.status_code == 401
    assert response.headers['WWW-Authenticate'] == 'Basic realm="svcframe"'
    assert response.json['error']['code'] == 401


def test_http_basic_admits_a_user_of_the_file_as_an_operator(basic_conf: cfg.ConfigOpts) -> None:
    response = webob.Request.blank('/', headers=basic('alice', 'pw')).get_response(
        pipeline(basic_conf))

    assert response.status_code == 200
    assert (response.json['user'], response.json['admin']) == ('alice', True)


def test_http_basic_with_a_missing_user_file_is_a_config_error(
        conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    conf.set_override('auth_strategy', 'http_basic', group='api')
    conf.set_override('http_basic_auth_user_file', str(tmp_path / 'none'), group='api')

    with pytest.raises(exception.ConfigError) as raised:
        auth.auth_filter(conf)

    assert str(tmp_path / 'none') in str(raised.value)
