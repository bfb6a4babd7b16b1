"""Four binaries as processes on RabbitMQ and a SQL server: the registry lives."""

from __future__ import annotations

import json
import signal
import uuid

import pytest

from svcframe.db import migration
from svcframe.db.api import Database
from tests.integration.conftest import ServiceRunner, wait_until
from tests.integration.test_api import SVCFRAME_PASTE, api_port, get

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


def test_services_report_up_and_a_killed_one_goes_down(
        database_url: str, database: Database, rabbit_url: str,
        services: ServiceRunner) -> None:
    migration.sync(database)
    host = 'node-%s' % uuid.uuid4().hex[:8]
    services.write_config(
        '[DEFAULT]\ntransport_url = %s\nhost = %s\nreport_interval = 1\n'
        'service_down_time = 3\n[database]\nconnection = %s\n'
        '[api]\nport = 0\nworkers = 1\n[wsgi]\napi_paste_config = %s\n'
        '[conductor]\nworkers = 1\n[scheduler]\nworkers = 1\n'
        % (rabbit_url, host, database_url, SVCFRAME_PASTE))
    services.start('svcframe-conductor')
    compute = services.start('svcframe-compute')
    services.start('svcframe-scheduler')
    port = api_port(services.start('svcframe-api'))

    def listed() -> dict[str, dict]:
        status, _, body = get(port, '/v1/services?host=%s' % host)
        assert status == 200
        return {service['binary']: service for service in json.loads(body)['services']}

    binaries = {'svcframe-compute', 'svcframe-conductor', 'svcframe-scheduler'}

    def all_up() -> dict[str, dict] | None:
        seen = listed()
        up = set(seen) == binaries and all(s['state'] == 'up' for s in seen.values())
        return seen if up else None

    first = wait_until(all_up, timeout=60, what='three services up')

    def all_reported_again() -> dict[str, dict] | None:
        seen = listed()
        grown = all(seen[b]['report_count'] > first[b]['report_count'] for b in binaries)
        return seen if grown else None

    later = wait_until(all_reported_again, timeout=30, what='growing report counts')
    assert {s['status'] for s in later.values()} == {'enabled'}

    compute.send(signal.SIGKILL)

    # Down once service_down_time (3 s) passes without a report (1 s apart).
    def compute_down() -> dict[str, dict] | None:
        seen = listed()
        return seen if seen['svcframe-compute']['state'] == 'down' else None

    down = wait_until(compute_down, timeout=15, what='compute to turn down')
    assert down['svcframe-conductor']['state'] == 'up'
    assert down['svcframe-scheduler']['state'] == 'up'
