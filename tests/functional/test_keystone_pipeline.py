"""The shipped api-paste.ini with auth_strategy = keystone, in one process.

keystonemiddleware's AuthTokenFixture stands in for a Keystone server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import webob
from oslo_config import cfg

from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.testing.configuration import make_conf
from svcframe.wsgi import loader

auth_token = pytest.importorskip('keystonemiddleware.auth_token')
fixture = pytest.importorskip('keystonemiddleware.fixture')

PASTE = Path(__file__).resolve().parents[2] / 'etc' / 'svcframe' / 'api-paste.ini'
KEYSTONE = 'https://keystone.example/identity'


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    conf = make_conf(tmp_path / 'state', {
        'api': {'auth_strategy': 'keystone'},
        'wsgi': {'api_paste_config': str(PASTE)}})
    for group, opts in auth_token.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_override('www_authenticate_uri', KEYSTONE, group='keystone_authtoken')
    # The paste factories read the process's global CONF, as oslo.middleware's do.
    monkeypatch.setattr(cfg, 'CONF', conf)
    # The API refuses a database never migrated.
    database = Database(conf)
    migration.sync(database)
    database.close()
    with fixture.AuthTokenFixture() as tokens:
        yield loader.load_app(conf, 'api'), tokens


def get(app, path: str, token: str | None = None) -> webob.Response:
    headers = {'X-Auth-Token': token} if token else {}
    return webob.Request.blank(path, headers=headers).get_response(app)


def test_a_valid_token_is_served(api) -> None:
    app, tokens = api
    token = uuid.uuid4().hex
    tokens.add_token_data(token_id=token, user_id=uuid.uuid4().hex,
                          project_id=uuid.uuid4().hex, role_list=['member'])

    response = get(app, '/v1', token)

    assert response.status_code == 200
    assert 'x-openstack-request-id' in response.headers


@pytest.mark.parametrize('token', [None, 'not-a-token'])
def test_no_or_a_bad_token_is_a_json_401(api, token: str | None) -> None:
    app, _tokens = api

    response = get(app, '/v1', token)

    assert response.status_code == 401
    assert response.content_type == 'application/json'
    assert response.json['error']['code'] == 401
    assert response.headers['WWW-Authenticate'] == 'Keystone uri="%s"' % KEYSTONE
    assert 'x-openstack-request-id' in response.headers


def test_the_version_document_needs_no_token(api) -> None:
    app, _tokens = api

    assert get(app, '/').status_code == 200
