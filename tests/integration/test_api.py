"""svcframe-api as a process: its paste pipeline, its errors and its drain."""

from __future__ import annotations

import base64
import http.client
import json
import re
import shutil
import signal
import socket
import threading
from collections import Counter
from pathlib import Path

import bcrypt
import pytest

from tests.integration.conftest import (PLUGIN_SOURCE, ROOT, ServiceProcess, ServiceRunner,
                                        free_port, script, wait_until)
from tests.integration.http_load import Load

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

SVCFRAME_PASTE = ROOT / 'etc' / 'svcframe' / 'api-paste.ini'


def api_config(paste: Path, workers: int = 1, extra: str = '') -> str:
    return ('[api]\nport = 0\nworkers = %d\n[wsgi]\napi_paste_config = %s\n%s'
            % (workers, paste, extra))


def api_port(process: ServiceProcess) -> int:
    """The port svcframe-api logged it listens on."""
    def logged() -> int | None:
        match = re.search(r'listening on http://[^ ]*:(\d+)', process.stdout)
        return int(match.group(1)) if match else None
    return wait_until(logged, what='svcframe-api to listen')


def get(port: int, path: str, method: str = 'GET', body: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def start_api_workers(services: ServiceRunner, paste: Path,
                      workers: int = 2) -> tuple[ServiceProcess, int, set[int]]:
    """svcframe-api with ``workers`` workers; the process, its port, the worker pids."""
    services.write_config(api_config(paste, workers=workers))
    api = services.start('svcframe-api')
    port = api_port(api)
    pids = wait_until(lambda: len(api.children()) == workers and api.children(),
                      what='%d workers' % workers)
    return api, port, pids


def raw_exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes, return everything the server sends until it closes."""
    with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b''.join(chunks)


def json_error(body: bytes, code: int) -> dict:
    document = json.loads(body)
    assert document['error']['code'] == code
    assert set(document['error']) == {'code', 'title', 'message'}
    return document['error']


@pytest.fixture
def acme_paste(services: ServiceRunner) -> Path:
    path = services.tmp_path / 'acme.paste.ini'
    shutil.copy(PLUGIN_SOURCE / 'acme.paste.ini', path)
    return path


def test_serves_a_pipeline_from_a_paste_file_that_is_not_svcframes(
        services: ServiceRunner, acme_paste: Path) -> None:
    services.write_config(api_config(acme_paste))
    api = services.start('svcframe-api')
    port = api_port(api)

    status, headers, body = get(port, '/anything')
    assert status == 200
    assert headers['x-acme-stamp'] == 'from-acme'
    assert headers['x-openstack-request-id'].startswith('req-')
    assert json.loads(body)['path'] == '/anything'

    status, headers, body = get(port, '/boom')
    assert status == 500
    assert 'x-openstack-request-id' in headers
    error = json_error(body, 500)
    assert 'Traceback' not in body.decode() and 'exploded' not in body.decode()
    assert error['title'] == 'Internal Server Error'


def test_sigterm_under_keep_alive_load_loses_no_request(
        services: ServiceRunner, acme_paste: Path) -> None:
    services.write_config(api_config(acme_paste, workers=2))
    api = services.start('svcframe-api')
    port = api_port(api)
    load = Load(port, clients=50, fast_path='/fast', slow_clients=5, slow_path='/slow')
    load.start()
    wait_until(lambda: load.ok() >= 1000, timeout=60, what='steady load')

    api.send(signal.SIGTERM)

    assert api.wait(timeout=60) == 0
    counts = load.stop()
    assert load.failures() == []
    assert counts['failed'] == 0
    assert counts['ok'] >= 1000
    # Keep-alive clients were told to close rather than cut off.
    assert counts['closed by server'] >= 1


def test_keep_alive_connections_spread_over_the_workers(
        services: ServiceRunner, acme_paste: Path) -> None:
    """50 clients connecting at once must not all land on one worker."""
    api, port, workers = start_api_workers(services, acme_paste)
    start_together = threading.Barrier(50)
    served_by: Counter = Counter()
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        start_together.wait()
        for _ in range(10):
            connection.request('GET', '/x')
            pid = json.loads(connection.getresponse().read())['pid']
        connection.close()
        with lock:
            served_by[pid] += 1

    clients = [threading.Thread(target=client) for _ in range(50)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(timeout=60)

    assert set(served_by) == workers
    assert sum(served_by.values()) == 50
    assert min(served_by.values()) >= 10, served_by


def test_sighup_under_load_loses_no_request_and_keeps_every_process(
        services: ServiceRunner, acme_paste: Path) -> None:
    api, port, workers = start_api_workers(services, acme_paste)
    load = Load(port, clients=50, fast_path='/fast', slow_clients=5, slow_path='/slow')
    load.start()
    wait_until(lambda: load.ok() >= 500, timeout=60, what='steady load')

    services.write_config(api_config(acme_paste, workers=2,
                                     extra='client_socket_timeout = 300\n'))
    api.send(signal.SIGHUP)
    served_before = load.ok()
    wait_until(lambda: load.ok() >= served_before + 1000, timeout=60, what='load after SIGHUP')

    counts = load.stop()
    assert counts['failed'] == 0, load.failures()
    assert api.running()
    assert api.children() == workers
    assert 'Caught SIGHUP' in api.stdout
    api.send(signal.SIGTERM)
    assert api.wait(timeout=30) == 0


def test_sighup_applies_changed_wsgi_options_in_the_running_workers(
        services: ServiceRunner, acme_paste: Path) -> None:
    api, port, workers = start_api_workers(services, acme_paste)
    assert get(port, '/x')[1].get('connection') != 'close'

    services.write_config(api_config(acme_paste, workers=2, extra='keep_alive = False\n'))
    api.send(signal.SIGHUP)

    # Every worker now closes each connection after its response.
    def closing_pids() -> set[int]:
        status, headers, body = get(port, '/x')
        return {json.loads(body)['pid']} if headers.get('connection') == 'close' else set()
    seen: set[int] = set()
    wait_until(lambda: seen.update(closing_pids()) or seen == workers, timeout=30,
               what='both workers to apply keep_alive = False')
    assert api.children() == workers


def test_every_bad_request_gets_its_answer_and_the_server_keeps_serving(
        services: ServiceRunner) -> None:
    services.write_config(api_config(SVCFRAME_PASTE, extra=(
        'max_header_line = 1024\nclient_socket_timeout = 1\nheader_timeout = 1\n'
        '[oslo_middleware]\nmax_request_body_size = 1000\n')))
    services.sync_database()
    api = services.start('svcframe-api')
    port = api_port(api)

    def still_serving() -> None:
        status, headers, body = get(port, '/v1')
        assert status == 200 and json.loads(body)['version']['id'] == 'v1'

    reply = raw_exchange(port, b'GARBAGE\r\n\r\n')
    assert reply.startswith(b'HTTP/1.1 400') or reply.startswith(b'HTTP/1.0 400')
    json_error(reply.split(b'\r\n\r\n', 1)[1], 400)
    still_serving()

    reply = raw_exchange(port, b'GET /v1 HTTP/1.1\r\nHost: x\r\nX-Long: ' + b'a' * 2000 +
                         b'\r\n\r\n')
    assert re.match(rb'HTTP/1\.[01] 431', reply)
    still_serving()

    status, headers, body = get(port, '/v1', 'POST', body=b'x' * 2000,
                                headers={'Content-Type': 'application/json'})
    assert status == 413
    json_error(body, 413)
    still_serving()

    # A chunked body is read (and limited) like one with a Content-Length.
    def chunked_put(payload: bytes) -> tuple[bytes, dict]:
        chunks = b''.join(b'%x\r\n%s\r\n' % (len(payload[i:i + 300]), payload[i:i + 300])
                          for i in range(0, len(payload), 300))
        reply = raw_exchange(port, b'PUT /v1/services/1 HTTP/1.1\r\nHost: x\r\n'
                             b'Connection: close\r\nContent-Type: application/json\r\n'
                             b'Transfer-Encoding: chunked\r\n\r\n' + chunks + b'0\r\n\r\n')
        head, body = reply.split(b'\r\n\r\n', 1)
        return head.split(b'\r\n', 1)[0], json.loads(body)

    status_line, document = chunked_put(b'{"bogus": true}')
    assert status_line.endswith(b'400 Bad Request')
    assert 'bogus' in document['error']['message']  # the body was read
    status_line, document = chunked_put(b'{"status": "%s"}' % (b'x' * 2000))
    assert status_line.endswith(b'413 Request Entity Too Large'), document
    still_serving()

    status, headers, body = get(port, '/v1/nowhere')
    assert status == 404
    assert 'x-openstack-request-id' in headers
    assert json_error(body, 404)['message'] == 'No resource at /v1/nowhere.'

    status, headers, body = get(port, '/v1', 'DELETE')
    assert status == 405
    assert headers['allow'] == 'GET, HEAD'
    json_error(body, 405)

    with socket.create_connection(('127.0.0.1', port), timeout=20) as silent:
        assert silent.recv(1) == b''  # closed by the server, not by our timeout
    still_serving()
    assert api.running()


def test_serves_on_ipv6_loopback(services: ServiceRunner) -> None:
    services.write_config(api_config(SVCFRAME_PASTE, extra='[api]\nlisten = ::1\n'))
    services.sync_database()
    api = services.start('svcframe-api')
    port = api_port(api)

    connection = http.client.HTTPConnection('::1', port, timeout=10)
    connection.request('GET', '/')
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read())['versions'][0]['links'][0]['href'] == (
        'http://[::1]:%d/v1/' % port)


def test_http_basic_auth_answers_401_in_json_and_admits_a_known_user(
        services: ServiceRunner) -> None:
    htpasswd = services.tmp_path / 'htpasswd'
    htpasswd.write_text('operator:%s\n' % bcrypt.hashpw(b's3cret', bcrypt.gensalt(4)).decode())
    services.write_config(api_config(SVCFRAME_PASTE, extra=(
        '[api]\nauth_strategy = http_basic\nhttp_basic_auth_user_file = %s\n' % htpasswd)))
    services.sync_database()
    api = services.start('svcframe-api')
    port = api_port(api)

    status, headers, body = get(port, '/v1')
    assert status == 401
    assert headers['www-authenticate'] == 'Basic realm="svcframe"'
    json_error(body, 401)

    wrong = base64.b64encode(b'operator:guess').decode()
    assert get(port, '/v1', headers={'Authorization': 'Basic ' + wrong})[0] == 401
    right = base64.b64encode(b'operator:s3cret').decode()
    assert get(port, '/v1', headers={'Authorization': 'Basic ' + right})[0] == 200


@pytest.mark.parametrize('extra, expected', [
    ('[api]\nlisten = 0.0.0.0\n', "allow_insecure_noauth"),
    ('[api]\nauth_strategy = http_basic\nhttp_basic_auth_user_file = /nonexistent\n',
     "http_basic_auth_user_file = '/nonexistent'"),
    ('[api]\nauth_strategy = kerberos\n', "auth_strategy = 'kerberos'"),
    ('[api]\nport = 70000\n', "[api] port = '70000'"),
])
def test_bad_api_configuration_exits_1_with_one_line(
        services: ServiceRunner, extra: str, expected: str) -> None:
    services.write_config(api_config(SVCFRAME_PASTE))
    services.sync_database()  # with a good configuration: the API checks its schema first
    services.write_config(api_config(SVCFRAME_PASTE, extra=extra))

    result = services.run('svcframe-api')

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr
    assert 'Traceback' not in result.stderr


def test_missing_paste_file_and_missing_app_are_named(services: ServiceRunner) -> None:
    services.write_config(api_config(services.tmp_path / 'nope.ini'))
    result = services.run('svcframe-api')
    assert result.returncode == 1
    assert "api_paste_config = '%s'" % (services.tmp_path / 'nope.ini') in result.stderr

    other = services.tmp_path / 'other.ini'
    other.write_text('[app:something]\npaste.app_factory = acme_recorder.web:app_factory\n')
    services.write_config(api_config(other))
    result = services.run('svcframe-api')
    assert result.returncode == 1
    assert "has no app named 'api'" in result.stderr and str(other) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_paste_file_is_found_next_to_the_config_file(services: ServiceRunner) -> None:
    shutil.copy(SVCFRAME_PASTE, services.tmp_path / 'api-paste.ini')
    services.write_config('[api]\nport = 0\nworkers = 1\n')  # default api_paste_config
    services.sync_database()
    api = services.start('svcframe-api')

    assert get(api_port(api), '/v1')[0] == 200


def test_port_in_use_is_a_start_failure_named_on_stderr(services: ServiceRunner) -> None:
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        services.write_config(api_config(SVCFRAME_PASTE, extra='[api]\nport = %d\n' % port))
        services.sync_database()
        result = services.run('svcframe-api')

    assert result.returncode == 3
    assert 'cannot listen' in result.stderr and str(port) in result.stderr
    assert 'Traceback' not in result.stderr


def test_gunicorn_serves_the_same_app(services: ServiceRunner) -> None:
    # noauth through the WSGI entry point needs saying so (test_wsgi_entry_point.py).
    services.write_config(api_config(SVCFRAME_PASTE,
                                     extra='[api]\nallow_insecure_noauth = True\n'))
    services.sync_database()
    port = free_port()
    env = services.env(SVCFRAME_CONFIG_FILES=str(services.config_path))
    log_dir = services.tmp_path / 'gunicorn'
    log_dir.mkdir()
    gunicorn = ServiceProcess([script('gunicorn'), '--workers', '2', '--bind',
                               '127.0.0.1:%d' % port, 'svcframe.wsgi.api:application'],
                              env, log_dir)
    services.processes.append(gunicorn)

    def answered() -> tuple | None:
        try:
            return get(port, '/v1')
        except OSError:
            return None
    status, headers, body = wait_until(answered, what='gunicorn to serve')
    assert status == 200
    assert headers['x-openstack-request-id'].startswith('req-')
    status, headers, body = get(port, '/v1/nowhere')
    assert status == 404
    json_error(body, 404)
    gunicorn.send(signal.SIGTERM)
    assert gunicorn.wait(timeout=30) == 0
