"""auth_strategy = keystone: keystonemiddleware's auth_token, then KeystoneIdentity.

No Keystone server runs here: keystonemiddleware's AuthTokenFixture answers
token validation for the tokens a test adds to it.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterator

import pytest
import webob
from oslo_config import cfg

from svcframe import exception
from svcframe.api import auth
from svcframe.api import faults
from svcframe.api import policy

auth_token = pytest.importorskip('keystonemiddleware.auth_token')
fixture = pytest.importorskip('keystonemiddleware.fixture')

KEYSTONE = 'https://keystone.example/identity'


def echo_context(environ: dict, start_response):
    """An app that answers with the context the filters built."""
    context = environ[auth.CONTEXT_KEY]
    body = {'user': context.user_id, 'project': context.project_id,
            'roles': context.roles, 'admin': context.is_admin}
    return webob.Response(json_body=body)(environ, start_response)


@pytest.fixture
def keystone_conf(conf: cfg.ConfigOpts) -> cfg.ConfigOpts:
    conf.set_override('auth_strategy', 'keystone', group='api')
    for group, opts in auth_token.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_override('www_authenticate_uri', KEYSTONE, group='keystone_authtoken')
    return conf


@pytest.fixture
def tokens() -> Iterator[fixture.AuthTokenFixture]:
    with fixture.AuthTokenFixture() as tokens:
        yield tokens


def add_token(tokens: fixture.AuthTokenFixture, **token_data) -> str:
    # add_token_data() returns nothing in keystonemiddleware 13: name the token.
    token_id = uuid.uuid4().hex
    tokens.add_token_data(token_id=token_id, **token_data)
    return token_id


def pipeline(conf: cfg.ConfigOpts):
    context_filter = auth.ContextFilter(echo_context, policy.make_enforcer(conf))
    return faults.FaultWrapper(auth.auth_filter(conf)(context_filter))


def call(conf: cfg.ConfigOpts, headers: dict[str, str]) -> webob.Response:
    return webob.Request.blank('/', headers=headers).get_response(pipeline(conf))


def test_a_valid_token_gives_its_user_project_and_roles(
        keystone_conf: cfg.ConfigOpts, tokens) -> None:
    user, project = uuid.uuid4().hex, uuid.uuid4().hex
    token = add_token(tokens, user_id=user, project_id=project,
                                  role_list=['member', 'reader'])

    response = call(keystone_conf, {'X-Auth-Token': token})

    assert response.status_code == 200
    assert response.json == {'user': user, 'project': project,
                             'roles': ['member', 'reader'], 'admin': False}


def test_an_admin_token_is_an_admin(keystone_conf: cfg.ConfigOpts, tokens) -> None:
    token = add_token(tokens, project_id=uuid.uuid4().hex, role_list=['admin'])

    assert call(keystone_conf, {'X-Auth-Token': token}).json['admin'] is True


def test_identity_headers_a_client_sends_are_not_believed(
        keystone_conf: cfg.ConfigOpts, tokens) -> None:
    token = add_token(tokens, project_id='a' * 32, role_list=['member'])

    response = call(keystone_conf, {
        'X-Auth-Token': token, 'X-Project-Id': 'b' * 32, 'X-Roles': 'admin',
        'X-Identity-Status': 'Confirmed'})

    assert (response.json['project'], response.json['roles']) == ('a' * 32, ['member'])


@pytest.mark.parametrize('headers', [
    {}, {'X-Auth-Token': 'not-a-token'},
    {'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin'}])
def test_a_missing_or_bad_token_is_a_json_401(
        keystone_conf: cfg.ConfigOpts, tokens, headers: dict[str, str]) -> None:
    response = call(keystone_conf, headers)

    assert response.status_code == 401
    assert response.content_type == 'application/json'
    assert response.json['error']['code'] == 401
    assert response.headers['WWW-Authenticate'] == 'Keystone uri="%s"' % KEYSTONE


def test_an_unconfirmed_identity_is_a_401() -> None:
    # What auth_token passes on with delay_auth_decision = True.
    seen = []
    app = auth.KeystoneIdentity(lambda environ, start_response: seen.append(environ))
    req = webob.Request.blank('/', headers={'X-Identity-Status': 'Invalid',
                                            'X-Project-Id': 'p1', 'X-Roles': 'admin'})

    response = req.get_response(app)

    assert response.status_code == 401
    assert response.json['error']['code'] == 401
    assert seen == []


def test_without_keystonemiddleware_it_is_a_config_error_naming_the_extra(
        keystone_conf: cfg.ConfigOpts, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_keystonemiddleware(name: str, *args, **kwargs):
        if name.startswith('keystonemiddleware'):
            raise ImportError('No module named %r' % name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_keystonemiddleware)

    with pytest.raises(exception.ConfigError) as raised:
        auth.auth_filter(keystone_conf)

    assert "auth_strategy = 'keystone'" in str(raised.value)
    assert "pip install 'svcframe[keystone]'" in str(raised.value)
