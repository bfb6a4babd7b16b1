"""The four binaries as a small cloud of processes, driven over HTTP.

Each process runs on a host name of its own (an extra config file), so any
number of conductors, schedulers and computes share one broker and one
database. The caller gives the transport and database URLs: the shared
servers' vhost and database, or a private RabbitMQ node and PostgreSQL
cluster that a chaos run stops and starts.
"""

from __future__ import annotations

import http.client
import json
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe.db import compute_nodes
from svcframe.db import migration
from svcframe.db.api import Database
from tests.integration.conftest import ServiceProcess, ServiceRunner, free_port, wait_until
from tests.integration.test_api import SVCFRAME_PASTE

JSON = {'Content-Type': 'application/json'}
BATCH = 20
# Leases of 3 s, and a compute host has 6 s to report a step: everything a
# crash interrupts is carried on within seconds.
SETTLE_SECONDS = 90
# The status recorded for a request the API did not answer (refused, reset,
# or cut while it restarted).
UNANSWERED = 0
REQUEST_TIMEOUT = 30.0


@dataclass
class Shape:
    """How many of each service, and the settings short enough for a test."""

    conductors: int = 2
    schedulers: int = 1
    computes: int = 2
    lease_seconds: int = 3
    host_step_timeout: int = 6
    action_timeout: int = 600
    service_down_time: int = 5
    build_delay: float = 1.0
    extra: dict[str, dict[str, object]] = field(default_factory=dict)


def open_database(database_url: str) -> Database:
    """svcframe's Database on ``database_url``, for the audit and the checks."""
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf([], project='svcframe-tests', default_config_files=[])
    conf.set_override('connection', database_url, group='database')
    return Database(conf)


def config_text(shape: Shape, transport_url: str, database_url: str, api_port: int) -> str:
    # A fixed API port: a restarted API answers where the clients look.
    # retry_interval = 1: a service restarted while the database is down
    # tries again every second rather than every ten.
    text = (
        '[DEFAULT]\ntransport_url = %s\nreport_interval = 1\nservice_down_time = %d\n'
        '[database]\nconnection = %s\nretry_interval = 1\n'
        '[api]\nport = %d\nworkers = 1\nmax_limit = 1000\n[wsgi]\napi_paste_config = %s\n'
        '[conductor]\nworkers = 1\nlease_seconds = %d\nhost_step_timeout = %d\n'
        'action_timeout = %d\n'
        '[scheduler]\nworkers = 1\nmax_attempts = 5\n'
        '[compute]\ncapacity_report_interval = 1\n'
        '[quota]\ninstances = -1\nvcpus = -1\nmemory_mb = -1\n'
        '[fake_driver]\nvcpus = 40\nmemory_mb = 20480\nbuild_delay = %s\n'
        % (transport_url, shape.service_down_time, database_url, api_port, SVCFRAME_PASTE,
           shape.lease_seconds, shape.host_step_timeout, shape.action_timeout,
           shape.build_delay))
    for group, values in shape.extra.items():
        text += '[%s]\n' % group + ''.join('%s = %s\n' % item for item in values.items())
    return text


class Deployment:
    """The four binaries, each on a host name of its own, driven over HTTP."""

    def __init__(self, services: ServiceRunner, database: Database, transport_url: str,
                 database_url: str, shape: Shape) -> None:
        self.services = services
        self.database = database
        self.transport_url = transport_url
        self.database_url = database_url
        self.shape = shape
        self.port = 0
        self.processes: dict[str, ServiceProcess] = {}
        self.binaries: dict[str, str] = {}
        self.computes: list[str] = []

    def start(self, migrate: bool = True) -> Deployment:
        """Write the config, migrate, start every process; wait for the computes."""
        self.port = free_port()
        self.services.write_config(config_text(self.shape, self.transport_url,
                                               self.database_url, self.port))
        if migrate:
            migration.sync(self.database)
        suffix = uuid.uuid4().hex[:6]
        counts = (('svcframe-conductor', 'conductor', self.shape.conductors),
                  ('svcframe-scheduler', 'scheduler', self.shape.schedulers),
                  ('svcframe-compute', 'compute', self.shape.computes))
        for binary, kind, count in counts:
            for index in range(count):
                self.start_service(binary, '%s-%d-%s' % (kind, index, suffix))
        self.computes = self.hosts('svcframe-compute')
        self.start_service('svcframe-api', 'api-%s' % suffix)
        wait_until(self.answers, timeout=60, interval=0.2, what='svcframe-api to answer')
        wait_until(lambda: all(self.compute_up(host) for host in self.computes),
                   timeout=60, interval=0.2, what='every compute up')
        return self

    def start_service(self, binary: str, host: str) -> ServiceProcess:
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
        self.start_service(self.binaries[host], host)

    def hosts(self, binary: str) -> list[str]:
        return [host for host, name in self.binaries.items() if name == binary]

    def all_hosts(self) -> list[str]:
        return list(self.binaries)

    # --- HTTP --------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The status and JSON body; raises OSError when the API does not answer."""
        data = None if body is None else json.dumps(body).encode()
        connection = http.client.HTTPConnection('127.0.0.1', self.port,
                                                timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=data, headers=JSON)
            response = connection.getresponse()
            answer = response.read()
        except http.client.HTTPException as error:
            # A reply cut short (the API was killed mid-answer) is no answer.
            raise ConnectionError(str(error)) from error
        finally:
            connection.close()
        try:
            return response.status, json.loads(answer) if answer else None
        except ValueError:
            return response.status, {'text': answer.decode(errors='replace')}

    def try_request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """As request(), but UNANSWERED when the API cannot answer (it restarts)."""
        try:
            return self.request(method, path, body)
        except OSError as error:
            return UNANSWERED, {'error': str(error)}

    def answers(self) -> bool:
        return self.try_request('GET', '/v1')[0] == 200

    def compute_up(self, host: str) -> bool:
        status, body = self.try_request(
            'GET', '/v1/services?binary=svcframe-compute&host=%s' % host)
        return status == 200 and [s['state'] for s in body['services']] == ['up']

    def create(self, name: str) -> tuple[int, Any]:
        return self.try_request('POST', '/v1/instances', {'instance': {
            'name': name, 'vcpus': 1, 'memory_mb': 256}})

    def create_batch(self) -> list[str]:
        def create(index: int) -> str:
            status, body = self.create('vm-%d' % index)
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

    def stop(self) -> None:
        """Kill every process, by process group (the ServiceRunner does it too)."""
        for process in self.processes.values():
            process.kill()
