"""svcframe-api with auth_strategy = http_basic, as a process: 401, 429, start-up checks."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import bcrypt
import pytest

from tests.integration.conftest import ServiceRunner
from tests.integration.test_api import SVCFRAME_PASTE, api_config, api_port, get

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


def write_users(path: Path, *users: tuple[str, bytes]) -> None:
    path.write_text(''.join('%s:%s\n' % (name, bcrypt.hashpw(password, bcrypt.gensalt(4)).decode())
                            for name, password in users))


def basic_config(users: Path, extra: str = '') -> str:
    return api_config(SVCFRAME_PASTE, extra=(
        '[api]\nauth_strategy = http_basic\nhttp_basic_auth_user_file = %s\n%s'
        % (users, extra)))


def login(port: int, user: bytes, password: bytes) -> tuple[int, dict[str, str], dict]:
    token = base64.b64encode(user + b':' + password).decode()
    status, headers, body = get(port, '/v1', headers={'Authorization': 'Basic ' + token})
    return status, headers, json.loads(body)


def test_failed_logins_are_401_then_429_and_no_bcrypt_error_is_a_500(
        services: ServiceRunner) -> None:
    users = services.tmp_path / 'htpasswd'
    write_users(users, ('operator', b's3cret'))
    services.write_config(basic_config(users, 'http_basic_max_failures = 5\n'
                                              'http_basic_failure_window = 600\n'))
    services.sync_database()
    api = services.start('svcframe-api')
    port = api_port(api)

    assert login(port, b'operator', b's3cret')[0] == 200  # not counted as a failure
    failures = [login(port, b'operator', b'x' * 73),  # bcrypt refuses over 72 bytes
                login(port, b'nobody', b'x' * 73),
                login(port, b'operator', b'guess'),
                login(port, b'nobody', b'guess'),
                login(port, b'operator', b'\xff\x00')]
    for status, headers, body in failures:
        assert status == 401
        assert headers['www-authenticate'] == 'Basic realm="svcframe"'
        assert body == failures[0][2]  # the same answer, known user or not

    for password in (b'guess', b's3cret'):
        status, headers, body = login(port, b'operator', password)
        assert status == 429
        assert 1 <= int(headers['retry-after']) <= 600
        assert body['error']['code'] == 429
        assert body['error']['title'] == 'Too Many Requests'
    # The address is spent too, for any user.
    assert login(port, b'other', b'guess')[0] == 429
    assert get(port, '/healthcheck')[0] == 200
    assert api.running()
    assert 'Traceback' not in api.stdout + api.stderr


def test_a_user_added_to_the_file_logs_in_without_a_restart(services: ServiceRunner) -> None:
    users = services.tmp_path / 'htpasswd'
    write_users(users, ('operator', b's3cret'))
    services.write_config(basic_config(users))
    services.sync_database()
    api = services.start('svcframe-api')
    port = api_port(api)
    assert login(port, b'second', b'pw2')[0] == 401

    write_users(users, ('operator', b's3cret'), ('second', b'pw2'))
    assert login(port, b'second', b'pw2')[0] == 200

    # A bad line keeps the users there were.
    users.write_text(users.read_text() + 'third:plain\n')
    assert login(port, b'second', b'pw2')[0] == 200
    assert login(port, b'third', b'plain')[0] == 401


def test_a_malformed_htpasswd_line_stops_start_up_naming_file_and_line(
        services: ServiceRunner) -> None:
    users = services.tmp_path / 'htpasswd'
    write_users(users, ('operator', b's3cret'))
    users.write_text(users.read_text() + 'broken:$2y$10$cut-short\n')
    services.write_config(basic_config(users))
    services.sync_database()

    result = services.run('svcframe-api')

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "http_basic_auth_user_file = '%s', line 2: user 'broken'" % users in result.stderr
    assert 'Traceback' not in result.stderr
