"""Normal runs print nothing an operator has to learn to ignore.

No eventlet deprecation notice from the binaries, the sample config
generator, the example plugin's command line or the WSGI entry point under
gunicorn; no amqp warning when a service on RabbitMQ stops.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from svcframe import config

from tests.integration.conftest import ROOT, ServiceRunner, script, wait_until
from tests.integration.test_wsgi_entry_point import config as wsgi_config
from tests.integration.test_wsgi_entry_point import request, start_gunicorn

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

NOTICE = 'EventletDeprecationWarning'
BINARIES = ('svcframe-api', 'svcframe-compute', 'svcframe-conductor',
            'svcframe-scheduler', 'svcframe-all', 'svcframe-manage')


def run(argv: list[str], services: ServiceRunner) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=services.env(), capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, cwd=ROOT)


@pytest.mark.parametrize('binary', BINARIES)
def test_help_says_what_the_binary_does_and_nothing_about_eventlet(
        binary: str, services: ServiceRunner) -> None:
    result = run([script(binary), '--help'], services)

    assert result.returncode == 0, result.stderr
    assert config.describe_binary(binary) in ' '.join(result.stdout.split())
    assert result.stderr == ''


def test_the_sample_config_generator_prints_no_eventlet_notice(
        services: ServiceRunner, tmp_path: Path) -> None:
    # What `make sample` runs: oslo-config-generator with svcframe imported first.
    output = tmp_path / 'svcframe.conf.sample'
    result = run([sys.executable, '-m', 'svcframe.conf.opts', '--config-file',
                  'etc/svcframe-config-generator.conf', '--output-file', str(output)],
                 services)

    assert result.returncode == 0, result.stderr
    assert NOTICE not in result.stderr
    assert '[DEFAULT]' in output.read_text()


def test_the_example_plugins_command_line_prints_no_eventlet_notice(
        services: ServiceRunner) -> None:
    services.write_config('')
    result = run([sys.executable, '-m', 'acme_echo.call', '--config-file',
                  str(services.config_path), '--help'], services)

    assert result.returncode == 0, result.stderr
    assert NOTICE not in result.stderr


def test_the_wsgi_entry_point_under_gunicorn_prints_no_eventlet_notice(
        services: ServiceRunner) -> None:
    services.write_config(wsgi_config('[api]\nallow_insecure_noauth = True\n'))
    synced = services.run('svcframe-manage', 'db', 'sync')
    assert synced.returncode == 0, synced.stderr
    port = start_gunicorn(services)

    assert request(port, 'GET', '/')[0] == 200
    gunicorn = services.processes[-1]
    gunicorn.send(signal.SIGTERM)
    assert gunicorn.wait() == 0
    assert 'Booting worker' in gunicorn.stderr
    assert NOTICE not in gunicorn.stderr + gunicorn.stdout


def reports(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT max(report_count) FROM services "
                                 "WHERE \"binary\" = 'svcframe-conductor'").fetchone()
    return row[0] or 0


def test_a_service_on_rabbitmq_stops_without_an_amqp_warning(
        services: ServiceRunner, rabbit_url: str) -> None:
    services.write_config('[DEFAULT]\ntransport_url = %s\nreport_interval = 1\n'
                          '[conductor]\nworkers = 1\n' % rabbit_url)
    synced = services.run('svcframe-manage', 'db', 'sync')
    assert synced.returncode == 0, synced.stderr
    database = services.tmp_path / 'state' / 'svcframe' / 'svcframe.sqlite'
    conductor = services.start('svcframe-conductor')
    # The heartbeat starts once the RPC server consumes its queues, the
    # fanout queue among them: the queue whose deletion on stop made amqp warn.
    wait_until(lambda: reports(database) >= 1, what='the conductor to report')

    conductor.send(signal.SIGTERM)

    assert conductor.wait() == 0
    output = conductor.stdout + conductor.stderr
    assert 'Stopped svcframe-conductor' in output
    assert 'during closing channel' not in output
    assert ' WARNING ' not in output
