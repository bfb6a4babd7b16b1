"""svcframe-all as a process: four services in one, on the embedded defaults."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import uuid
from collections.abc import Iterator

import pytest
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe.db import compute_nodes
from svcframe.db import migration
from svcframe.db.api import Database
from tests.integration.conftest import ROOT, ServiceProcess, ServiceRunner, free_port, wait_until
from tests.integration.test_api import api_port, get
from tests.integration.test_service_lifecycle import notify_socket

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

BINARIES = {'svcframe-compute', 'svcframe-conductor', 'svcframe-scheduler'}
RECORDERS = ('[DEFAULT]\ncompute_manager = recorder\nconductor_manager = recorder\n'
             'scheduler_manager = recorder\n')


def write_config(services: ServiceRunner, host: str, extra: str = '') -> None:
    """Unlike services.write_config(), leaves periodic_fuzzy_delay to svcframe-all."""
    services.config_path.write_text(
        '[DEFAULT]\nhost = %s\n[api]\nport = 0\n[recorder]\nevents_file = %s\n%s'
        % (host, services.events.path, extra))


def start_all(services: ServiceRunner, extra: str = '') -> tuple[ServiceProcess, int, str]:
    """svcframe-all as `make run` starts it, on a free port; (process, port, host)."""
    host = 'all-%s' % uuid.uuid4().hex[:8]
    write_config(services, host, extra)
    # --config-dir finds the repository's api-paste.ini, as in `make run`.
    process = services.start('svcframe-all', '--config-dir', str(ROOT / 'etc' / 'svcframe'))
    return process, api_port(process), host


def services_of(port: int, host: str) -> dict[str, dict]:
    status, _, body = get(port, '/v1/services?host=%s' % host)
    assert status == 200, body
    return {service['binary']: service for service in json.loads(body)['services']}


def wait_all_up(port: int, host: str) -> dict[str, dict]:
    def all_up() -> dict[str, dict] | None:
        seen = services_of(port, host)
        up = set(seen) == BINARIES and all(s['state'] == 'up' for s in seen.values())
        return seen if up else None
    return wait_until(all_up, timeout=30, what='compute, conductor and scheduler up')


@contextlib.contextmanager
def embedded_database(services: ServiceRunner) -> Iterator[Database]:
    """The SQLite database svcframe-all keeps under its default state_path."""
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf([], project='svcframe-tests', default_config_files=[])
    # The default state_path follows XDG_STATE_HOME, which ServiceRunner sets.
    conf.set_override('state_path', str(services.tmp_path / 'state' / 'svcframe'))
    database = Database(conf)
    try:
        yield database
    finally:
        database.close()


def test_one_process_serves_the_api_and_runs_the_three_services_on_sqlite(
        services: ServiceRunner) -> None:
    assert not (services.tmp_path / 'state').exists()

    # [api] workers does not apply: everything runs in the one process.
    process, port, host = start_all(services, '[api]\nworkers = 4\n')

    seen = wait_all_up(port, host)
    assert {service['host'] for service in seen.values()} == {host}
    assert process.children() == set()
    # The schema was created on start: no `svcframe-manage db sync` ran.
    with embedded_database(services) as database:
        assert migration.version(database) == migration.head()
    assert wait_until(lambda: 'svcframe-all serving the API on http://127.0.0.1:%d' % port
                      in process.stdout, what='the URL in the log')
    # fake:// is the right transport here, so there is nothing to warn about.
    assert 'fake:// (in memory): this process' not in process.stdout

    process.send(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    assert 'Traceback' not in process.stdout + process.stderr


def test_sighup_keeps_the_pid_and_the_api_and_resets_every_manager(
        services: ServiceRunner) -> None:
    process, port, host = start_all(services, RECORDERS + '[recorder]\ngreeting = before\n')
    inits = wait_until(lambda: len(services.events.of('init_host')) == 3
                       and services.events.of('init_host'), what='three init_host calls')
    # One process, started in order: the conductor owns the registry.
    assert [(pid, args[0]) for pid, _, args in inits] == [
        (process.pid, 'conductor'), (process.pid, 'scheduler'), (process.pid, 'compute')]
    wait_all_up(port, host)

    write_config(services, host, RECORDERS + '[recorder]\ngreeting = after\n')
    process.send(signal.SIGHUP)

    resets = wait_until(lambda: len(services.events.of('reset')) == 3
                        and services.events.of('reset'), what='three reset() calls')
    assert {(pid, tuple(args)) for pid, _, args in resets} == {(process.pid, ('after',))}
    assert process.running()
    assert len(services.events.of('init_host')) == 3  # nothing restarted
    assert set(services_of(port, host)) == BINARIES  # same port, still serving

    process.send(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    assert len(services.events.of('cleanup_host', process.pid)) == 3


def test_systemd_is_told_ready_once_all_four_run(services: ServiceRunner) -> None:
    with notify_socket(services) as (listener, env):
        write_config(services, 'all-%s' % uuid.uuid4().hex[:8], RECORDERS)
        process = services.start('svcframe-all', '--config-dir', str(ROOT / 'etc' / 'svcframe'),
                                 env=env)
        message = listener.recv(1024)
        inits_at_ready = services.events.of('init_host')
    assert message == b'READY=1'
    assert [args[0] for _, _, args in inits_at_ready] == ['conductor', 'scheduler', 'compute']
    # READY comes once the API, started last, accepts connections.
    status, _, _ = get(api_port(process), '/v1')
    assert status == 200


def test_a_bad_option_exits_1_with_one_line(services: ServiceRunner) -> None:
    services.write_config('[DEFAULT]\nreport_interval = abc\n')

    result = services.run('svcframe-all', '--config-dir', str(ROOT / 'etc' / 'svcframe'))

    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("svcframe-all: error: [DEFAULT] report_interval = 'abc'")
    assert 'Traceback' not in result.stderr + result.stdout


def test_a_port_in_use_exits_3_with_one_line(services: ServiceRunner) -> None:
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        services.write_config('[api]\nport = %d\n' % port)

        result = services.run('svcframe-all', '--config-dir', str(ROOT / 'etc' / 'svcframe'))

    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert 'port = %d' % port in lines[0] and 'Address already in use' in lines[0]


def test_all_four_run_on_a_real_broker_too(services: ServiceRunner, rabbit_url: str) -> None:
    process, port, host = start_all(services, '[DEFAULT]\ntransport_url = %s\n' % rabbit_url)

    wait_all_up(port, host)

    process.send(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_sigterm_while_the_broker_is_unreachable_stops_with_exit_0(
        services: ServiceRunner) -> None:
    nobody = 'rabbit://guest:guest@127.0.0.1:%d/' % free_port()
    write_config(services, 'all-%s' % uuid.uuid4().hex[:8],
                 '[DEFAULT]\ntransport_url = %s\n' % nobody)
    process = services.start('svcframe-all', '--config-dir', str(ROOT / 'etc' / 'svcframe'))
    # The conductor's RPC server retries the broker: start() has not returned.
    wait_until(lambda: 'Starting svcframe-conductor' in process.stdout, what='the start')

    process.send(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    assert 'Starting svcframe-compute' not in process.stdout  # the later ones never start


def test_an_instance_is_built_listed_and_deleted_through_svcframe_all(
        services: ServiceRunner) -> None:
    process, port, host = start_all(services)
    wait_all_up(port, host)
    # Its first capacity report makes the compute host schedulable.
    with embedded_database(services) as database:
        wait_until(lambda: compute_nodes.get(database, host), what="compute's capacity")
    body = json.dumps({'instance': {'name': 'web-1', 'vcpus': 1, 'memory_mb': 512}})

    status, _, created = get(port, '/v1/instances', 'POST', body.encode(),
                             {'Content-Type': 'application/json'})

    assert status == 202, created
    instance = json.loads(created)['instance']
    assert (instance['name'], instance['state']) == ('web-1', 'building')

    def shown() -> dict:
        status, _, body = get(port, '/v1/instances/%s' % instance['id'])
        assert status == 200, body
        return json.loads(body)['instance']

    active = wait_until(lambda: shown()['state'] == 'active' and shown(), timeout=30,
                        what='the instance to become active')
    assert (active['host'], active['fault']) == (host, None)
    status, _, listed = get(port, '/v1/instances')
    assert [i['id'] for i in json.loads(listed)['instances']] == [instance['id']]

    status, _, _ = get(port, '/v1/instances/%s' % instance['id'], 'DELETE')

    assert status == 202
    wait_until(lambda: get(port, '/v1/instances/%s' % instance['id'])[0] == 404,
               timeout=30, what='the instance to be gone')
    process.send(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
