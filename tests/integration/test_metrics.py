"""Every binary's /metrics while the reference workload runs (issue 14).

The four binaries on RabbitMQ and PostgreSQL, each with a [metrics] port of
its own, the conductor and the API with two workers each (one endpoint for
both, from the supervisor). One instance is created; the documented series must exist
and count it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import urllib.parse
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from svcframe.db import migration
from svcframe.db.api import Database
from tests.integration.conftest import ROOT, ServiceRunner, free_port, wait_until
from tests.integration.test_api import SVCFRAME_PASTE, api_port, get
from tests.real_servers import REQUIRE_SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics: (name, labels) -> value."""
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=10) as answer:
        text = answer.read().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


BINARIES = ('svcframe-conductor', 'svcframe-scheduler', 'svcframe-compute', 'svcframe-api')


def start_four(services: ServiceRunner, database: Database, rabbit_url: str,
               database_url: str) -> tuple[dict[str, int], int]:
    """The four binaries, each with a metrics port; those ports and the API's."""
    migration.sync(database)
    host = 'node-%s' % uuid.uuid4().hex[:8]
    services.write_config(
        '[DEFAULT]\ntransport_url = %s\nhost = %s\nreport_interval = 1\n'
        '[database]\nconnection = %s\n'
        '[api]\nport = 0\nworkers = 2\n[wsgi]\napi_paste_config = %s\n'
        '[conductor]\nworkers = 2\n[scheduler]\nworkers = 1\n'
        % (rabbit_url, host, database_url, SVCFRAME_PASTE))
    ports = {}
    for binary in BINARIES:
        ports[binary] = free_port()
        extra = services.tmp_path / ('%s.conf' % binary)
        extra.write_text('[metrics]\nport = %d\n' % ports[binary])
        process = services.start(binary, '--config-file', str(extra))
    api = api_port(process)

    def compute_up() -> bool:
        status, _, body = get(api, '/v1/services?binary=svcframe-compute')
        return status == 200 and [s['state'] for s in json.loads(body)['services']] == ['up']
    wait_until(compute_up, timeout=60, what='the compute up')
    return ports, api


def create_instance(api: int) -> str:
    """Create one instance and wait until it is active; its path."""
    status, _, body = get(api, '/v1/instances', 'POST', json.dumps(
        {'instance': {'name': 'm', 'vcpus': 1, 'memory_mb': 64}}).encode(),
        {'Content-Type': 'application/json'})
    assert status == 202
    path = '/v1/instances/%s' % json.loads(body)['instance']['id']
    wait_until(lambda: json.loads(get(api, path)[2])['instance']['state'] == 'active',
               timeout=60, what='the instance active')
    return path


@pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)
def test_every_binary_serves_the_documented_series_and_they_move(
        database_url: str, database: Database, rabbit_url: str,
        services: ServiceRunner) -> None:
    ports, api = start_four(services, database, rabbit_url, database_url)
    path = create_instance(api)
    # An API worker writes its HTTP series for the supervisor every second.
    wait_until(lambda: value(scrape(ports['svcframe-api']), 'svcframe_http_requests_total',
                             method='POST', route='/v1/instances', status='202') == 1,
               timeout=10, what='the API supervisor to count the POST')

    samples = {binary: scrape(port) for binary, port in ports.items()}

    api_samples = samples['svcframe-api']
    # The route template, never the raw path with its id.
    assert value(api_samples, 'svcframe_http_requests_total', method='POST',
                 route='/v1/instances', status='202') == 1
    assert value(api_samples, 'svcframe_http_requests_total', method='GET',
                 route='/v1/instances/{instance_id}', status='200') >= 1
    instance_id = path.rsplit('/', 1)[1]
    assert not [labels for _, labels in api_samples
                if instance_id in dict(labels).get('route', '')]
    assert value(api_samples, 'svcframe_http_request_duration_seconds_count',
                 method='POST', route='/v1/instances') == 1
    assert ('svcframe_http_requests_in_flight', frozenset()) in api_samples
    assert value(api_samples, 'svcframe_rpc_client_requests_total', topic='conductor',
                 method='build_instance', kind='cast', outcome='ok') == 1
    for binary, binary_samples in samples.items():
        assert any(name == 'svcframe_build_info' and dict(labels)['binary'] == binary
                   for name, labels in binary_samples), binary
        assert ('process_cpu_seconds_total', frozenset()) in binary_samples, binary

    conductor = samples['svcframe-conductor']  # both workers, from the supervisor
    assert value(conductor, 'svcframe_rpc_server_requests_total', topic='conductor',
                 method='build_instance', outcome='ok') == 1
    assert value(conductor, 'svcframe_rpc_server_requests_total', topic='conductor',
                 method='build_finished', outcome='ok') == 1
    assert value(conductor, 'svcframe_heartbeat_last_success_timestamp_seconds') > 0
    assert value(conductor, 'svcframe_periodic_task_duration_seconds_count',
                 task='take_over_expired') >= 1

    def counted(binary_state: tuple[str, str]) -> float:
        return value(scrape(ports['svcframe-conductor']), 'svcframe_services',
                     binary=binary_state[0], state=binary_state[1])
    wait_until(lambda: counted(('svcframe-compute', 'up')) == 1, timeout=30,
               what='the conductor to count the compute up')
    wait_until(lambda: value(scrape(ports['svcframe-conductor']), 'svcframe_instances',
                             state='active') == 1, timeout=30, what='one active instance')

    scheduler = samples['svcframe-scheduler']
    assert value(scheduler, 'svcframe_rpc_server_requests_total', topic='scheduler',
                 method='select_destinations', outcome='ok') == 1
    compute = samples['svcframe-compute']
    assert value(compute, 'svcframe_rpc_client_requests_total', topic='conductor',
                 method='build_finished', kind='cast', outcome='ok') == 1
    assert value(compute, 'svcframe_heartbeat_last_success_timestamp_seconds') > 0


def test_a_metrics_port_in_use_stops_the_start_naming_it(services: ServiceRunner) -> None:
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        services.write_config('[DEFAULT]\ncompute_manager = recorder\n'
                              '[metrics]\nport = %d\n' % port)
        result = services.run('svcframe-compute')

    assert result.returncode == 3
    assert '[metrics] listen = 127.0.0.1, port = %d' % port in result.stderr
    assert 'Traceback' not in result.stderr


ALERTS = ROOT / 'etc' / 'svcframe' / 'prometheus' / 'svcframe-alerts.yml'


def promtool() -> str:
    found = shutil.which('promtool')
    if found is None:
        reason = "Debian's prometheus package is not installed (promtool, prometheus)"
        if REQUIRE_SERVICES:
            pytest.fail(reason + ' (SVCFRAME_REQUIRE_SERVICES=1)')
        pytest.skip(reason)
    return found


def test_the_shipped_alert_rules_pass_promtool() -> None:
    result = subprocess.run([promtool(), 'check', 'rules', str(ALERTS)],
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert 'SUCCESS: 6 rules found' in result.stdout


def query(port: int, expression: str) -> list[dict]:
    url = 'http://127.0.0.1:%d/api/v1/query?%s' % (port, urllib.parse.urlencode(
        {'query': expression}))
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())['data']['result']


@pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)
def test_a_prometheus_server_scrapes_the_four_binaries(
        database_url: str, database: Database, rabbit_url: str,
        services: ServiceRunner) -> None:
    promtool()  # the package brings both
    ports, api = start_four(services, database, rabbit_url, database_url)
    port = free_port()
    config = services.tmp_path / 'prometheus.yml'
    config.write_text(
        'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
        'rule_files: [%s]\n'
        'scrape_configs:\n' % json.dumps(str(ALERTS)) + ''.join(
            '  - job_name: %s\n    static_configs: [{targets: ["127.0.0.1:%d"]}]\n'
            % (binary, metrics_port) for binary, metrics_port in ports.items()))
    prometheus = services.start_command(
        ['prometheus', '--config.file=%s' % config,
         '--storage.tsdb.path=%s' % (services.tmp_path / 'tsdb'),
         '--web.listen-address=127.0.0.1:%d' % port], 'prometheus')

    def targets_up() -> bool:
        try:
            up = query(port, 'up')
        except OSError:
            return False
        return sorted((r['metric']['job'], r['value'][1]) for r in up) == sorted(
            (binary, '1') for binary in BINARIES)
    wait_until(targets_up, timeout=60, what='Prometheus to scrape the four binaries up')
    create_instance(api)

    def counted() -> list[dict]:
        return query(port, 'svcframe_http_requests_total{job="svcframe-api",'
                           'route="/v1/instances",method="POST"}')
    [series] = wait_until(counted, timeout=30, what='the create in Prometheus')
    assert series['metric']['status'] == '202' and series['value'][1] == '1'
    assert prometheus.running()
