"""Log lines name their binary and host; JSON logs are one option away; one line a request."""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import re
import signal

import pytest
from oslo_log import pipe_mutex

from svcframe import logs

from tests.integration.conftest import ROOT, ServiceRunner, free_port, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

RECORDER = '[DEFAULT]\ncompute_manager = recorder\nhost = node-%s\n' % 'log'


def run_until_started_and_stopped(services: ServiceRunner) -> str:
    compute = services.start('svcframe-compute')
    wait_until(lambda: services.events.of('init_host'), what='init_host')
    compute.send(signal.SIGTERM)
    assert compute.wait() == 0
    return compute.stdout + compute.stderr


def test_every_text_line_names_the_binary_and_host(services: ServiceRunner) -> None:
    services.write_config(RECORDER)

    output = run_until_started_and_stopped(services)

    lines = [line for line in output.splitlines() if line.strip()]
    assert any('Starting svcframe-compute' in line for line in lines)
    prefix = re.compile(r'^\S+ \S+ \d+ [A-Z]+ svcframe-compute node-log \S+ \[')
    assert [line for line in lines if not prefix.match(line)] == []


def test_use_json_makes_every_line_a_json_document(services: ServiceRunner) -> None:
    services.write_config(RECORDER + 'use_json = true\n')

    output = run_until_started_and_stopped(services)

    documents = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any(doc['message'].startswith('Starting svcframe-compute') for doc in documents)
    assert {(doc['extra']['binary'], doc['extra']['host']) for doc in documents} == {
        ('svcframe-compute', 'node-log')}
    assert all(doc['levelname'] in ('DEBUG', 'INFO', 'WARNING', 'ERROR') for doc in documents)


def _die_holding_the_lock(handler: logging.Handler, renew: bool) -> int:
    """Fork a child that takes ``handler``'s lock and dies without releasing it."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            if renew:
                logs.renew_handler_locks()
            handler.acquire()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return status


# eventlet, imported here by oslo.log's lock, warns of every fork().
@pytest.mark.filterwarnings('ignore:Using fork:DeprecationWarning')
@pytest.mark.parametrize('renew, parent_can_log', [(False, False), (True, True)])
def test_a_worker_killed_while_logging_leaves_the_other_processes_their_lock(
        renew: bool, parent_can_log: bool) -> None:
    # The lock oslo.log gives every handler under eventlet: a pipe with one
    # token, which fork() shares with the child.
    handler = logging.StreamHandler(io.StringIO())
    handler.lock = pipe_mutex._ReallyPipeMutex()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        assert _die_holding_the_lock(handler, renew) == 0
        acquired = handler.lock.acquire(blocking=False)
        if acquired:
            handler.lock.release()
    finally:
        root.removeHandler(handler)
    # Without renewal the token died with the child: this process's next
    # line would wait for ever. Workers renew their locks first thing.
    assert acquired is parent_can_log


def test_svcframe_all_logs_one_line_per_refused_request(services: ServiceRunner) -> None:
    port = free_port()
    services.write_config('[api]\nport = %d\n' % port)
    service = services.start('svcframe-all', '--config-dir', str(ROOT / 'etc' / 'svcframe'))
    wait_until(lambda: _answers(port), what='svcframe-all to serve')

    ids = {}
    for method, path, body, status in [('GET', '/nope', None, 404),
                                       ('POST', '/v1/instances', b'{bad', 400),
                                       ('PATCH', '/v1/instances', None, 405)]:
        answered, request_id = _send(port, method, path, body)
        assert answered == status
        ids[status] = request_id
    service.send(signal.SIGTERM)
    assert service.wait() == 0

    lines = (service.stdout + service.stderr).splitlines()
    for status, request_id in ids.items():
        about = [line for line in lines if request_id in line]
        assert len(about) == 1, about
        assert 'status: %d' % status in about[0]


def _send(port: int, method: str, path: str, body: bytes | None) -> tuple[int, str]:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        connection.request(method, path, body=body,
                           headers={'Content-Type': 'application/json'} if body else {})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader('x-openstack-request-id')
    finally:
        connection.close()


def _answers(port: int) -> bool:
    try:
        return _send(port, 'GET', '/', None)[0] == 200
    except OSError:
        return False
