"""No accepted request is lost when a process dies (issue 16).

Two conductors (or one), a scheduler, two computes and the API on RabbitMQ
and PostgreSQL, with short leases. A process is SIGKILLed in the middle of a
batch of creates or deletes and started again: every instance must still
end active (or in error, saying why) or deleted, and each host's usage must
equal what its instances hold.
"""

from __future__ import annotations

import json
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from svcframe.db import compute_nodes
from svcframe.db import migration
from svcframe.db.api import Database
from tests.integration.conftest import ServiceProcess, ServiceRunner, wait_until
from tests.integration.test_api import SVCFRAME_PASTE, api_port, get

pytestmark = pytest.mark.integration

ON_POSTGRESQL = pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)
JSON = {'Content-Type': 'application/json'}
BATCH = 20
# Leases of 3 s, and a compute host has 6 s to report a step: everything a
# crash interrupts is carried on within seconds.
SETTLE_SECONDS = 90


class Deployment:
    """The four binaries, each on a host name of its own, driven over HTTP."""

    def __init__(self, services: ServiceRunner, database: Database, rabbit_url: str,
                 database_url: str, conductors: int) -> None:
        self.services = services
        self.database = database
        suffix = uuid.uuid4().hex[:6]
        services.write_config(
            '[DEFAULT]\ntransport_url = %s\nreport_interval = 1\nservice_down_time = 5\n'
            '[database]\nconnection = %s\n'
            '[api]\nport = 0\nworkers = 1\n[wsgi]\napi_paste_config = %s\n'
            '[conductor]\nworkers = 1\nlease_seconds = 3\nhost_step_timeout = 6\n'
            '[scheduler]\nworkers = 1\nmax_attempts = 5\n'
            '[compute]\ncapacity_report_interval = 1\n'
            '[quota]\ninstances = -1\nvcpus = -1\nmemory_mb = -1\n'
            '[fake_driver]\nvcpus = 40\nmemory_mb = 20480\nbuild_delay = 1\n'
            % (rabbit_url, database_url, SVCFRAME_PASTE))
        migration.sync(database)
        self.processes: dict[str, ServiceProcess] = {}
        self.binaries: dict[str, str] = {}
        for index in range(conductors):
            self.start('svcframe-conductor', 'conductor-%d-%s' % (index, suffix))
        self.start('svcframe-scheduler', 'scheduler-%s' % suffix)
        self.computes = ['compute-%s-%s' % (name, suffix) for name in 'ab']
        for host in self.computes:
            self.start('svcframe-compute', host)
        self.port = api_port(self.start('svcframe-api', 'api-%s' % suffix))
        wait_until(lambda: all(self.compute_up(host) for host in self.computes),
                   timeout=60, what='both computes up')

    def start(self, binary: str, host: str) -> ServiceProcess:
        extra = self.services.tmp_path / ('%s.conf' % host)
        extra.write_text('[DEFAULT]\nhost = %s\n' % host)
        process = self.services.start(binary, '--config-file', str(extra))
        self.processes[host] = process
        self.binaries[host] = binary
        return process

    def kill_and_restart(self, host: str) -> None:
        """SIGKILL, as the OOM killer or a lost node does, then start again."""
        process = self.processes[host]
        process.send(signal.SIGKILL)
        process.wait()
        self.start(self.binaries[host], host)

    def hosts(self, binary: str) -> list[str]:
        return [host for host, name in self.binaries.items() if name == binary]

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        status, _, answer = get(self.port, path, method, data, JSON)
        return status, json.loads(answer) if answer else None

    def compute_up(self, host: str) -> bool:
        status, body = self.request(
            'GET', '/v1/services?binary=svcframe-compute&host=%s' % host)
        return status == 200 and [s['state'] for s in body['services']] == ['up']

    def create_batch(self) -> list[str]:
        def create(index: int) -> str:
            status, body = self.request('POST', '/v1/instances', {'instance': {
                'name': 'vm-%d' % index, 'vcpus': 1, 'memory_mb': 256}})
            assert status == 202, body
            return body['instance']['id']
        with ThreadPoolExecutor(max_workers=10) as pool:
            return list(pool.map(create, range(BATCH)))

    def delete_batch(self, ids: list[str]) -> None:
        def delete(instance_id: str) -> None:
            assert self.request('DELETE', '/v1/instances/%s' % instance_id) == (202, None)
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(delete, ids))

    def instances(self) -> dict[str, dict[str, Any]]:
        status, body = self.request('GET', '/v1/instances?limit=1000')
        assert status == 200, body
        return {instance['id']: instance for instance in body['instances']}

    def settled(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Wait until none of ``ids`` is building or deleting; those still there."""
        def done() -> dict[str, dict[str, Any]] | None:
            listed = self.instances()
            chosen = {i: listed[i] for i in ids if i in listed}
            busy = [i for i in chosen.values() if i['state'] in ('building', 'deleting')]
            return None if busy else chosen or {'none left': {}}
        found = wait_until(done, timeout=SETTLE_SECONDS, interval=0.5,
                           what='every instance to end its create or delete')
        return {} if 'none left' in found else found

    def usage_matches(self) -> None:
        for usage in compute_nodes.audit(self.database):
            assert usage.matches, usage


@pytest.fixture
def deploy(services: ServiceRunner, database: Database, rabbit_url: str, database_url: str):
    return lambda conductors: Deployment(services, database, rabbit_url, database_url,
                                         conductors)


@ON_POSTGRESQL
@pytest.mark.parametrize('conductors', [2, 1])
def test_a_conductor_killed_in_a_batch_of_creates_then_of_deletes_loses_nothing(
        deploy, conductors: int) -> None:
    cloud = deploy(conductors)
    first, last = cloud.hosts('svcframe-conductor')[0], cloud.hosts('svcframe-conductor')[-1]

    ids = cloud.create_batch()
    cloud.kill_and_restart(first)
    created = cloud.settled(ids)

    assert sorted(i['state'] for i in created.values()) == ['active'] * BATCH
    cloud.usage_matches()

    cloud.delete_batch(ids)
    cloud.kill_and_restart(last)
    assert cloud.settled(ids) == {}
    cloud.usage_matches()


@ON_POSTGRESQL
@pytest.mark.parametrize('victim', ['svcframe-compute', 'svcframe-scheduler'])
def test_a_compute_or_scheduler_killed_in_a_batch_loses_nothing(deploy, victim: str) -> None:
    cloud = deploy(2)

    ids = cloud.create_batch()
    cloud.kill_and_restart(cloud.hosts(victim)[0])
    created = cloud.settled(ids)

    # A compute restarted within service_down_time lost its builds without
    # going down: they are sent again, and end active.
    assert sorted(i['state'] for i in created.values()) == ['active'] * BATCH, created
    cloud.usage_matches()

    cloud.delete_batch(ids)
    cloud.kill_and_restart(cloud.hosts(victim)[0])
    assert cloud.settled(ids) == {}
    cloud.usage_matches()
