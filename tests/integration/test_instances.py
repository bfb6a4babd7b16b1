"""The reference workload across four binaries on RabbitMQ and PostgreSQL.

svcframe-api, -conductor and -scheduler and two svcframe-compute hosts run as
separate processes; instances are created and deleted through the HTTP API.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from svcframe.db import compute_nodes
from svcframe.db import migration
from svcframe.db.api import Database
from tests.integration.conftest import Events, ServiceProcess, ServiceRunner, wait_until
from tests.integration.test_api import SVCFRAME_PASTE, api_port, get

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

# The deployment the workload is checked on: PostgreSQL (RabbitMQ for RPC).
ON_POSTGRESQL = pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)

JSON = {'Content-Type': 'application/json'}
SIZE = {'vcpus': 1, 'memory_mb': 512}


class Cloud:
    """The deployment under test, driven through its HTTP API."""

    def __init__(self, services: ServiceRunner, database: Database, rabbit_url: str,
                 database_url: str, vcpus: int,
                 extra: Callable[[list[str]], str] | None = None) -> None:
        """``extra`` gives more configuration, knowing the compute host names."""
        self.services = services
        self.database = database
        suffix = uuid.uuid4().hex[:8]
        self.hosts = ['compute-a-%s' % suffix, 'compute-b-%s' % suffix]
        services.write_config(
            '[DEFAULT]\ntransport_url = %s\nreport_interval = 1\nservice_down_time = 4\n'
            '[database]\nconnection = %s\n'
            '[api]\nport = 0\nworkers = 1\n[wsgi]\napi_paste_config = %s\n'
            '[conductor]\nworkers = 1\n[scheduler]\nworkers = 1\n'
            '[compute]\ncapacity_report_interval = 1\n'
            # Quotas would cap these bursts below the hosts' room; their
            # own tests (test_quotas.py) give [quota] again in ``extra``.
            '[quota]\ninstances = -1\nvcpus = -1\nmemory_mb = -1\n'
            '[fake_driver]\nvcpus = %d\nmemory_mb = %d\n%s'
            % (rabbit_url, database_url, SVCFRAME_PASTE, vcpus, vcpus * SIZE['memory_mb'],
               extra(self.hosts) if extra else ''))
        migration.sync(database)
        self.conductor = services.start('svcframe-conductor')
        self.scheduler = services.start('svcframe-scheduler')
        self.computes = {host: self._start_compute(host) for host in self.hosts}
        self.api = services.start('svcframe-api')
        self.port = api_port(self.api)
        wait_until(lambda: all(self.service(host)['state'] == 'up' for host in self.hosts)
                   and all(compute_nodes.get(database, host) for host in self.hosts),
                   timeout=60, what='both compute hosts up with their capacity')

    def _start_compute(self, host: str) -> ServiceProcess:
        extra = self.services.tmp_path / ('%s.conf' % host)
        extra.write_text('[DEFAULT]\nhost = %s\n' % host)
        return self.services.start('svcframe-compute', '--config-file', str(extra))

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        status, _, answer = get(self.port, path, method, data, JSON)
        return status, json.loads(answer) if answer else None

    def service(self, host: str) -> dict[str, Any]:
        status, body = self.request('GET', '/v1/services?host=%s&binary=svcframe-compute'
                                    % host)
        assert status == 200
        return body['services'][0] if body['services'] else {'state': None}

    def create(self, name: str) -> str:
        status, body = self.request('POST', '/v1/instances',
                                    {'instance': dict(SIZE, name=name)})
        assert status == 202, body
        assert body['instance']['state'] == 'building'
        return body['instance']['id']

    def instances(self) -> dict[str, dict[str, Any]]:
        status, body = self.request('GET', '/v1/instances')
        assert status == 200
        return {instance['id']: instance for instance in body['instances']}

    def settled(self, ids: list[str], state: str) -> dict[str, dict[str, Any]]:
        """Wait until every one of ``ids`` is in ``state``; them."""
        def done() -> dict[str, dict[str, Any]] | None:
            listed = self.instances()
            chosen = {i: listed[i] for i in ids if i in listed}
            if len(chosen) == len(ids) and all(i['state'] == state for i in chosen.values()):
                return chosen
            return None
        return wait_until(done, timeout=60, what='%d instances %s' % (len(ids), state))

    def used(self, host: str) -> tuple[int, int]:
        node = compute_nodes.get(self.database, host)
        return node.vcpus_used, node.memory_mb_used


@pytest.fixture
def make_cloud(services: ServiceRunner, database: Database, rabbit_url: str,
               database_url: str):
    return lambda vcpus, extra=None: Cloud(services, database, rabbit_url, database_url,
                                           vcpus, extra)


@ON_POSTGRESQL
def test_a_burst_fills_both_hosts_exactly_and_a_delete_makes_room(make_cloud) -> None:
    cloud = make_cloud(vcpus=20)
    a, b = cloud.hosts

    with ThreadPoolExecutor(max_workers=40) as pool:
        ids = list(pool.map(cloud.create, ['vm-%d' % n for n in range(40)]))
    active = cloud.settled(ids, 'active')

    assert Counter(i['host'] for i in active.values()) == {a: 20, b: 20}
    assert all(i['fault'] is None for i in active.values())
    assert cloud.used(a) == cloud.used(b) == (20, 20 * SIZE['memory_mb'])

    one_more = cloud.create('one-too-many')
    failed = cloud.settled([one_more], 'error')[one_more]
    assert failed['host'] is None
    assert failed['fault'].startswith('No valid host was found.')

    on_a = [i for i, instance in active.items() if instance['host'] == a][:3]
    for instance_id in on_a:
        assert cloud.request('DELETE', '/v1/instances/%s' % instance_id) == (202, None)
    wait_until(lambda: not set(on_a) & set(cloud.instances()), timeout=30,
               what='deleted instances to go')
    assert cloud.request('GET', '/v1/instances/%s' % on_a[0])[0] == 404
    assert cloud.used(a) == (17, 17 * SIZE['memory_mb'])

    fits_again = cloud.create('fits-again')
    assert cloud.settled([fits_again], 'active')[fits_again]['host'] == a


@ON_POSTGRESQL
def test_the_request_id_is_in_the_log_lines_of_every_service_the_request_crossed(
        make_cloud) -> None:
    cloud = make_cloud(vcpus=4)

    status, headers, body = get(cloud.port, '/v1/instances', 'POST',
                                json.dumps({'instance': dict(SIZE, name='traced')}).encode(),
                                JSON)

    assert status == 202
    request_id = headers['x-openstack-request-id']
    instance_id = json.loads(body)['instance']['id']
    host = cloud.settled([instance_id], 'active')[instance_id]['host']
    for process, marker in ((cloud.conductor, 'Instance %s (traced): building on' % instance_id),
                            (cloud.conductor, 'Instance %s is active' % instance_id),
                            (cloud.scheduler, 'Hosts for instance traced'),
                            (cloud.computes[host], 'Built instance %s' % instance_id)):
        line = wait_until(lambda process=process, marker=marker: next(
            (line for line in process.stdout.splitlines() if marker in line), None),
            what='%r in a log' % marker)
        assert request_id in line, line


@ON_POSTGRESQL
def test_disabled_and_dead_hosts_get_no_new_instances(
        make_cloud, services: ServiceRunner) -> None:
    cloud = make_cloud(vcpus=10)
    a, b = cloud.hosts
    service_a = cloud.service(a)['id']

    status, _ = cloud.request('PUT', '/v1/services/%d' % service_a,
                              {'status': 'disabled', 'disabled_reason': 'test'})
    assert status == 200
    while_disabled = [cloud.create('d-%d' % n) for n in range(4)]
    assert {i['host'] for i in cloud.settled(while_disabled, 'active').values()} == {b}

    assert cloud.request('PUT', '/v1/services/%d' % service_a, {'status': 'enabled'})[0] == 200
    cloud.computes[b].send(signal.SIGKILL)
    wait_until(lambda: cloud.service(b)['state'] == 'down', timeout=20, what='%s down' % b)
    while_b_is_down = [cloud.create('k-%d' % n) for n in range(4)]
    assert {i['host'] for i in cloud.settled(while_b_is_down, 'active').values()} == {a}
    assert cloud.used(b) == (4, 4 * SIZE['memory_mb'])  # what it held when it died


@ON_POSTGRESQL
def test_a_build_on_a_compute_killed_mid_build_ends_in_error_and_frees_its_claim(
        make_cloud) -> None:
    # Builds take a minute, so the instance is still building when its host dies.
    cloud = make_cloud(vcpus=4, extra=lambda hosts: 'build_delay = 60\n')
    instance_id = cloud.create('doomed')
    host = wait_until(lambda: cloud.instances()[instance_id]['host'],
                      what='the instance placed on a host')
    assert cloud.used(host) == (1, SIZE['memory_mb'])

    cloud.computes[host].send(signal.SIGKILL)

    failed = cloud.settled([instance_id], 'error')[instance_id]
    assert 'Compute host %s went down during the build' % host in failed['fault']
    assert cloud.used(host) == (0, 0)


@ON_POSTGRESQL
def test_a_plugin_filter_and_driver_place_and_build_instances(
        make_cloud, services: ServiceRunner) -> None:
    """acme_recorder, pip-installed beside svcframe, registers filter ``avoid``
    and driver ``recording`` by entry points; configuration alone selects them."""
    events = Events(services.tmp_path / 'driver-events.txt')
    cloud = make_cloud(vcpus=1, extra=lambda hosts: (
        '[scheduler]\nenabled_filters = enabled,up,capacity,avoid\n'
        '[compute]\ndriver = recording\n'
        '[acme]\navoid_hosts = %s\ndriver_events_file = %s\n' % (hosts[0], events.path)))
    avoided, chosen = cloud.hosts

    # The recording driver reports 4 vcpus, not [fake_driver] vcpus = 1.
    assert compute_nodes.get(cloud.database, chosen).vcpus == 4
    ids = [cloud.create('p-%d' % n) for n in range(3)]
    placed = cloud.settled(ids, 'active')

    assert {i['host'] for i in placed.values()} == {chosen}
    assert cloud.used(avoided) == (0, 0)
    spawned = sorted(args for _, _, args in events.of('spawn'))
    assert spawned == [['p-%d' % n, chosen] for n in range(3)]

    assert cloud.request('DELETE', '/v1/instances/%s' % ids[0]) == (202, None)
    wait_until(lambda: events.of('destroy'), what='the driver to tear it down')
    assert [args for _, _, args in events.of('destroy')] == [[ids[0], chosen]]


@ON_POSTGRESQL
def test_hostile_input_is_refused_or_escaped_and_every_log_line_stays_one_line(
        make_cloud) -> None:
    cloud = make_cloud(vcpus=4)
    member = dict(JSON, **{'X-User-Id': 'u1', 'X-Roles': 'member'})

    def call(method: str, path: str, body: Any = None, project: str | None = None,
             **headers: str) -> tuple[int, Any]:
        sent = dict(member, **headers)
        if project is not None:
            sent['X-Project-Id'] = project
        data = None if body is None else json.dumps(body).encode()
        status, _, answer = get(cloud.port, path, method, data, sent)
        return status, json.loads(answer) if answer else None

    forged = 'vm\n2026-01-01 00:00:00.000 1 CRITICAL svcframe-api forged'
    status, body = call('POST', '/v1/instances', {'instance': dict(SIZE, name=forged)}, 'p1')
    assert status == 400 and '"name"' in body['error']['message']
    theirs = call('POST', '/v1/instances', {'instance': dict(SIZE, name='back\\slash')},
                  'p2')[1]['instance']['id']
    cloud.settled([theirs], 'active')

    # Another project's instance and a missing one: the same answer.
    missing = str(uuid.uuid4())
    for method in ('GET', 'DELETE'):
        other = call(method, '/v1/instances/%s' % theirs, project='p1')
        absent = call(method, '/v1/instances/%s' % missing, project='p1')
        assert other[0] == absent[0] == 404
        assert other[1]['error']['message'] == 'no instance with id %s' % theirs
        assert absent[1]['error']['message'] == 'no instance with id %s' % missing
    assert call('GET', '/v1/instances', project='p1') == (200, {'instances': []})
    for bad in ('None', '', 'p 1', 'p' * 65):
        status, body = call('GET', '/v1/instances', project=bad)
        assert status == 400 and body['error']['message'].startswith('X-Project-Id must be')

    service = cloud.service(cloud.hosts[0])['id']
    status, body = cloud.request('PUT', '/v1/services/%d' % service, {
        'status': 'disabled', 'disabled_reason': '\x1b[2Jswap\ndone'})
    assert status == 400 and body['error']['message'].startswith('"disabled_reason"')

    # A client that leaves halfway through its body.
    with socket.create_connection(('127.0.0.1', cloud.port), timeout=10) as sock:
        sock.sendall(b'POST /v1/instances HTTP/1.1\r\nHost: x\r\n'
                     b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n'
                     b'{"instance": ')
    line = wait_until(lambda: next((line for line in cloud.api.stdout.splitlines()
                                    if 'its body could not be read' in line), None),
                      what='the line about the unread body')
    assert ' INFO ' in line

    for process in (cloud.api, cloud.conductor, cloud.scheduler, *cloud.computes.values()):
        log = process.stdout
        assert 'Traceback' not in log and ' ERROR ' not in log and ' CRITICAL ' not in log
        assert all(re.match(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', line)
                   for line in log.splitlines()), log
    assert 'back\\\\slash' in cloud.scheduler.stdout  # a backslash is doubled


@pytest.mark.parametrize('binary, option, namespace, installed', [
    ('svcframe-scheduler', '[scheduler]\nenabled_filters = enabled,nosuch\n',
     'svcframe.scheduler.filters', 'avoid, capacity, enabled, up'),
    ('svcframe-scheduler', '[scheduler]\nweighers = nosuch\n',
     'svcframe.scheduler.weighers', 'free_memory'),
    ('svcframe-compute', '[compute]\ndriver = nosuch\n',
     'svcframe.compute.drivers', 'fake, recording'),
])
def test_an_unknown_plugin_name_stops_the_start_naming_the_installed_ones(
        services: ServiceRunner, binary: str, option: str, namespace: str,
        installed: str) -> None:
    services.write_config(option + '[scheduler]\nworkers = 1\n')
    process = services.start(binary)

    assert process.wait(timeout=30) == 3
    assert ("= 'nosuch' is not installed; installed names in entry-point namespace "
            "%s: %s" % (namespace, installed)) in process.stdout
