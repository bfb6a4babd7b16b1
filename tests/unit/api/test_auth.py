from __future__ import annotations

import base64
import threading
from pathlib import Path

import bcrypt
import pytest
import webob
from oslo_config import cfg

from svcframe import exception
from svcframe.api import auth
from svcframe.api import htpasswd
from svcframe.api import logins
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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """The real bcrypt check, remembering which hash each login was checked against."""

    def __init__(self) -> None:
        self.hashes: list[bytes] = []

    def __call__(self, password: bytes, hashed: bytes) -> bool:
        self.hashes.append(hashed)
        return bcrypt.checkpw(password, hashed)


def basic_pipeline(conf: cfg.ConfigOpts, check=bcrypt.checkpw,
                   clock: Clock | None = None) -> auth.HttpBasicAuth:
    checker = logins.PasswordChecker(threading.BoundedSemaphore(1), logins._call, check)
    context_filter = auth.ContextFilter(echo_context, policy.make_enforcer(conf))
    return auth.HttpBasicAuth(context_filter, conf,
                              htpasswd.UserFile.load(conf.api.http_basic_auth_user_file),
                              checker, logins.FailureBudget(clock or Clock()))


def login(app, user: str, password: str, address: str = '192.0.2.1') -> webob.Response:
    return webob.Request.blank('/', headers=basic(user, password),
                               environ={'REMOTE_ADDR': address}).get_response(app)


def test_http_basic_checks_an_unknown_user_as_hard_as_a_known_one(
        basic_conf: cfg.ConfigOpts) -> None:
    recorder = Recorder()
    app = basic_pipeline(basic_conf, recorder)

    known, unknown = login(app, 'alice', 'wrong'), login(app, 'bob', 'wrong')

    assert (known.status_code, unknown.status_code) == (401, 401)
    assert known.json == unknown.json
    alice_hash, stand_in = recorder.hashes
    assert alice_hash[:7] == stand_in[:7] == b'$2b$04$'  # same bcrypt cost
    assert stand_in != alice_hash


@pytest.mark.parametrize('user', ['alice', 'bob'])
def test_http_basic_a_password_bcrypt_refuses_is_a_401(
        basic_conf: cfg.ConfigOpts, user: str) -> None:
    response = login(basic_pipeline(basic_conf), user, 'x' * 73)

    assert response.status_code == 401
    assert response.json['error']['code'] == 401


def test_http_basic_answers_429_with_retry_after_past_the_failure_budget(
        basic_conf: cfg.ConfigOpts) -> None:
    basic_conf.set_override('http_basic_max_failures', 2, group='api')
    basic_conf.set_override('http_basic_failure_window', 60, group='api')
    clock = Clock()
    recorder = Recorder()
    app = basic_pipeline(basic_conf, recorder, clock)
    assert [login(app, 'alice', 'wrong').status_code for _ in range(2)] == [401, 401]
    clock.now += 15

    for password in ('wrong', 'pw'):
        response = login(app, 'alice', password)
        assert response.status_code == 429
        assert response.headers['Retry-After'] == '45'
        assert response.content_type == 'application/json'
        assert response.json['error']['code'] == 429
        assert 'retry in 45 seconds' in response.json['error']['message']
    assert len(recorder.hashes) == 2  # no bcrypt work once refused

    # The client address is spent too, for any user; another address is not.
    assert login(app, 'carol', 'pw').status_code == 429
    clock.now += 45
    assert login(app, 'alice', 'pw', address='192.0.2.9').status_code == 200


def test_http_basic_a_successful_login_gives_its_attempt_back(
        basic_conf: cfg.ConfigOpts) -> None:
    basic_conf.set_override('http_basic_max_failures', 2, group='api')
    app = basic_pipeline(basic_conf)

    assert login(app, 'alice', 'wrong').status_code == 401
    assert [login(app, 'alice', 'pw').status_code for _ in range(5)] == [200] * 5
    assert login(app, 'alice', 'wrong').status_code == 401
    assert login(app, 'alice', 'pw').status_code == 429


def test_http_basic_does_not_pass_the_credentials_on(basic_conf: cfg.ConfigOpts) -> None:
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return webob.Response()(environ, start_response)

    checker = logins.PasswordChecker(threading.BoundedSemaphore(1), logins._call)
    middleware = auth.HttpBasicAuth(app, basic_conf, htpasswd.UserFile.load(
        basic_conf.api.http_basic_auth_user_file), checker, logins.FailureBudget())

    assert login(middleware, 'alice', 'pw').status_code == 200
    assert 'HTTP_AUTHORIZATION' not in seen


def test_http_basic_with_a_malformed_line_is_a_config_error_naming_file_and_line(
        basic_conf: cfg.ConfigOpts) -> None:
    path = basic_conf.api.http_basic_auth_user_file
    with open(path, 'a') as users:
        users.write('bob:$2y$10$tooshort\n')

    with pytest.raises(exception.ConfigError) as raised:
        auth.auth_filter(basic_conf)

    assert "http_basic_auth_user_file = '%s', line 2: user 'bob'" % path in str(raised.value)
