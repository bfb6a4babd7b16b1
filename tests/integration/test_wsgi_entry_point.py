"""svcframe.wsgi.api:application under gunicorn: the noauth guard, HEAD and links."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess

import pytest

from tests.integration.conftest import (ROOT, ServiceProcess, ServiceRunner, free_port,
                                        script, wait_until)

pytestmark = pytest.mark.integration

SVCFRAME_PASTE = ROOT / 'etc' / 'svcframe' / 'api-paste.ini'


def config(extra: str = '') -> str:
    return '[wsgi]\napi_paste_config = %s\n%s' % (SVCFRAME_PASTE, extra)


def gunicorn_argv(port: int) -> list[str]:
    return [script('gunicorn'), '--workers', '1', '--bind', '127.0.0.1:%d' % port,
            'svcframe.wsgi.api:application']


def request(port: int, method: str, path: str,
            host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=host is not None)
        if host is not None:
            connection.putheader('Host', host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def start_gunicorn(services: ServiceRunner) -> int:
    services.sync_database()
    port = free_port()
    env = services.env(SVCFRAME_CONFIG_FILES=str(services.config_path))
    log_dir = services.tmp_path / 'gunicorn'
    log_dir.mkdir()
    services.processes.append(ServiceProcess(gunicorn_argv(port), env, log_dir))

    def answered() -> tuple | None:
        try:
            return request(port, 'GET', '/')
        except OSError:
            return None
    wait_until(answered, what='gunicorn to serve')
    return port


@pytest.mark.parametrize('extra', ['', '[api]\nlisten = 127.0.0.1\n'])
def test_noauth_without_allow_insecure_noauth_does_not_load(
        services: ServiceRunner, extra: str) -> None:
    services.write_config(config(extra))

    result = subprocess.run(gunicorn_argv(free_port()),
                            env=services.env(SVCFRAME_CONFIG_FILES=str(services.config_path)),
                            capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)

    assert result.returncode != 0
    # gunicorn prints the traceback, then the message again on a line of its own.
    lines = [line for line in result.stderr.splitlines() if 'allow_insecure_noauth' in line]
    assert lines, result.stderr
    for line in lines:
        assert "auth_strategy = 'noauth' makes every caller an admin" in line
        assert 'set [api] allow_insecure_noauth = True' in line


def test_head_answers_like_get_without_a_body(services: ServiceRunner) -> None:
    services.write_config(config('[api]\nallow_insecure_noauth = True\n'))
    port = start_gunicorn(services)

    for path in ('/', '/v1', '/v1/services'):
        get_status, get_headers, get_body = request(port, 'GET', path)
        head_status, head_headers, head_body = request(port, 'HEAD', path)
        assert (head_status, head_body) == (get_status, b''), path
        assert head_headers['content-length'] == get_headers['content-length'] == str(
            len(get_body))


def test_links_come_from_a_valid_host_or_the_public_endpoint(
        services: ServiceRunner) -> None:
    services.write_config(config('[api]\nallow_insecure_noauth = True\n'))
    port = start_gunicorn(services)

    def href(host: str | None) -> str:
        status, _, body = request(port, 'GET', '/', host=host)
        assert status == 200
        return json.loads(body)['versions'][0]['links'][0]['href']

    assert href('api.example:8774') == 'http://api.example:8774/v1/'
    assert 'evil' not in href('evil.example/"><x')

    services.processes[-1].send(signal.SIGTERM)
    assert services.processes[-1].wait(timeout=30) == 0
    services.processes.pop()
    services.write_config(config('[api]\nallow_insecure_noauth = True\n'
                                 'public_endpoint = https://cloud.example/compute/\n'))
    (services.tmp_path / 'gunicorn').rename(services.tmp_path / 'gunicorn-1')
    port = start_gunicorn(services)

    assert href('api.example:8774') == 'https://cloud.example/compute/v1/'
