"""Services started in any order: what systemd does when it starts them together.

The conductor comes up last here, on a broker vhost that has never seen it
(so no queue holds the others' calls for it): the others wait for it quietly,
and an instance created the moment the API shows the compute up goes active.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from svcframe.db import migration
from svcframe.db.api import Database
from tests.integration.conftest import ServiceProcess, ServiceRunner, wait_until
from tests.integration.test_api import SVCFRAME_PASTE, api_port, get

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

JSON = {'Content-Type': 'application/json'}
LOUD = re.compile(r' (WARNING|ERROR|CRITICAL) |Traceback')


def request(port: int, method: str, path: str, body: object = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    status, _, answer = get(port, path, method, data, JSON)
    return status, json.loads(answer)


def compute_state(port: int, host: str) -> str | None:
    status, body = request(port, 'GET', '/v1/services?binary=svcframe-compute&host=%s' % host)
    assert status == 200, body
    return body['services'][0]['state'] if body['services'] else None


def waiting_logged(process: ServiceProcess) -> bool:
    return 'waits for the service registry' in process.stdout


@pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)
def test_an_instance_created_as_soon_as_the_compute_is_up_goes_active(
        database_url: str, database: Database, rabbit_url: str,
        services: ServiceRunner) -> None:
    migration.sync(database)
    host = 'compute-%s' % uuid.uuid4().hex[:8]
    services.write_config(
        '[DEFAULT]\ntransport_url = %s\nhost = %s\nreport_interval = 1\n'
        '[database]\nconnection = %s\n'
        '[api]\nport = 0\nworkers = 1\n[wsgi]\napi_paste_config = %s\n'
        '[conductor]\nworkers = 1\n[scheduler]\nworkers = 1\n'
        # Only the first report may tell the capacity: the next periodic
        # one comes long after this test is done.
        '[compute]\ncapacity_report_interval = 3600\n'
        % (rabbit_url, host, database_url, SVCFRAME_PASTE))
    compute = services.start('svcframe-compute')
    scheduler = services.start('svcframe-scheduler')
    api = services.start('svcframe-api')
    port = api_port(api)
    wait_until(lambda: waiting_logged(compute) and waiting_logged(scheduler), timeout=60,
               what='compute and scheduler to wait for the conductor')
    assert compute_state(port, host) is None

    services.start('svcframe-conductor')
    wait_until(lambda: compute_state(port, host) == 'up', timeout=60, interval=0.05,
               what='the compute to show up')
    status, body = request(port, 'POST', '/v1/instances',
                           {'instance': {'name': 'first', 'vcpus': 1, 'memory_mb': 256}})
    assert status == 202, body
    path = '/v1/instances/%s' % body['instance']['id']

    def settled() -> dict | None:
        instance = request(port, 'GET', path)[1]['instance']
        return instance if instance['state'] != 'building' else None
    instance = wait_until(settled, timeout=60, what='the instance to settle')

    assert (instance['state'], instance['host'], instance['fault']) == ('active', host, None)
    for process in (compute, scheduler):
        assert 'is registered and up, after waiting' in process.stdout
        assert not LOUD.findall(process.stdout), process.stdout
