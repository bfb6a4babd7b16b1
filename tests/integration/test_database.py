"""The service registry on PostgreSQL, MariaDB and SQLite, through svcframe-manage."""

from __future__ import annotations

import json
import threading

import pytest
from svcframe.db.api import Database
from tests.integration.conftest import ServiceRunner

pytestmark = pytest.mark.integration


def manage(services: ServiceRunner, *args: str):
    return services.run('svcframe-manage', *args)


def test_manage_syncs_the_schema_and_steers_the_registry(
        services: ServiceRunner, database_url: str, database: Database) -> None:
    services.write_config('[database]\nconnection = %s\n' % database_url)

    assert manage(services, 'db', 'version').stdout.startswith('none')
    synced = manage(services, 'db', 'sync')
    assert synced.returncode == 0, synced.stderr
    assert manage(services, 'db', 'version').stdout.strip() == '0004'
    assert manage(services, 'db', 'sync').returncode == 0  # idempotent

    compute = database.service_create('node-1', 'svcframe-compute', 'compute')
    database.service_create('node-1', 'svcframe-conductor', 'conductor')
    database.service_report(compute.id)

    listing = manage(services, 'service', 'list', '--binary', 'svcframe-compute').stdout
    header, row, *rest = listing.splitlines()
    assert rest == [] and header.split()[:6] == ['id', 'binary', 'host', 'topic', 'status',
                                                 'state']
    assert row.split()[:6] == [str(compute.id), 'svcframe-compute', 'node-1', 'compute',
                               'enabled', 'up']

    assert manage(services, 'service', 'disable', str(compute.id), '--reason',
                  'disk swap').returncode == 0
    assert (database.service_get(compute.id).disabled,
            database.service_get(compute.id).disabled_reason) == (True, 'disk swap')
    assert manage(services, 'service', 'enable', str(compute.id)).returncode == 0
    assert database.service_get(compute.id).disabled is False
    assert manage(services, 'service', 'force-down', str(compute.id)).returncode == 0
    assert 'down' in manage(services, 'service', 'list', '--host', 'node-1').stdout
    assert manage(services, 'service', 'delete', str(compute.id)).returncode == 0
    assert [s.binary for s in database.service_get_all()] == ['svcframe-conductor']

    missing = manage(services, 'service', 'enable', '999999')
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'svcframe-manage: error: no service with id 999999'


def test_concurrent_heartbeats_are_all_counted(database_url: str, database: Database) -> None:
    from svcframe.db import migration
    migration.sync(database)
    service = database.service_create('node-1', 'svcframe-compute', 'compute')
    failures: list[Exception] = []

    def beat() -> None:
        try:
            for _ in range(25):
                database.service_report(service.id)
        except Exception as error:  # noqa: BLE001 - every failure counts
            failures.append(error)

    beaters = [threading.Thread(target=beat) for _ in range(8)]
    for thread in beaters:
        thread.start()
    for thread in beaters:
        thread.join(timeout=120)

    assert failures == []
    assert database.service_get(service.id).report_count == 200


def test_unreachable_database_is_one_line_and_exit_3(services: ServiceRunner) -> None:
    services.write_config('[database]\nconnection = postgresql+psycopg2://nobody@127.0.0.1:1/x\n'
                          'max_retries = 1\nretry_interval = 0\n')

    result = manage(services, 'db', 'version')

    assert result.returncode == 3
    assert result.stderr.startswith('svcframe-manage: error: database ')
    assert 'Traceback' not in result.stderr


def test_services_api_reads_and_steers_the_registry(
        database_url: str, database: Database, services: ServiceRunner) -> None:
    # database_url comes first, so the API process is stopped before its
    # database is dropped.
    from svcframe.db import migration
    from tests.integration.test_api import SVCFRAME_PASTE, api_port, get

    migration.sync(database)
    compute = database.service_create('node-1', 'svcframe-compute', 'compute')
    database.service_report(compute.id)
    services.write_config('[api]\nport = 0\nworkers = 1\n[wsgi]\napi_paste_config = %s\n'
                          '[database]\nconnection = %s\n' % (SVCFRAME_PASTE, database_url))
    port = api_port(services.start('svcframe-api'))
    body = {'status': 'disabled', 'disabled_reason': 'disk swap'}
    member = {'X-User-Id': 'u', 'X-Project-Id': 'p', 'X-Roles': 'member'}

    status, _, listing = get(port, '/v1/services?binary=svcframe-compute')
    assert status == 200
    [shown] = json.loads(listing)['services']
    assert (shown['id'], shown['state'], shown['report_count']) == (compute.id, 'up', 1)

    assert get(port, '/v1/services', headers=member)[0] == 403
    assert get(port, '/v1/services/%d' % compute.id, 'PUT', json.dumps(body).encode(),
               headers=member)[0] == 403
    status, _, updated = get(port, '/v1/services/%d' % compute.id, 'PUT',
                             json.dumps(body).encode())
    assert status == 200
    assert json.loads(updated)['service']['disabled_reason'] == 'disk swap'
    assert database.service_get(compute.id).disabled is True
    assert get(port, '/v1/services/%d' % compute.id, 'PUT', b'{"status": 1}')[0] == 400
    assert get(port, '/v1/services/%d' % compute.id, 'DELETE')[0] == 204
    status, _, missing = get(port, '/v1/services/%d' % compute.id, 'DELETE')
    assert status == 404 and json.loads(missing)['error']['code'] == 404
