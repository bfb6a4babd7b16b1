"""A database whose schema is not this release's: the binaries name it and the fix.

On PostgreSQL, MariaDB and SQLite (the ``database_url`` fixture): a
conductor or an API refuses to start, and svcframe-manage to run a command,
on a database never synced, at an older revision, or at one it does not
know. A database that is only missing at start is waited for; one that
turns out unsynced when it appears gets the same one line.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable, Iterator

import oslo_messaging as messaging
import pytest
import sqlalchemy

from svcframe import context
from svcframe import rpc
from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.rpcapi.conductor import ConductorAPI
from tests.integration.conftest import ServiceRunner, free_port, script, wait_until
from tests.integration.test_api import SVCFRAME_PASTE, api_port, get
from tests.integration.test_database_faults import make_conf
from tests.real_servers import service_url

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

BINARIES = ('svcframe-conductor', 'svcframe-api')
SYNC = 'run "svcframe-manage db sync"'


def write_config(services: ServiceRunner, database_url: str, extra: str = '') -> None:
    # No broker is reached: the refusal comes first.
    services.write_config(
        '[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:1/\n'
        '[database]\nconnection = %s\nretry_interval = 1\n'
        '[api]\nport = 0\nworkers = 2\n[conductor]\nworkers = 2\n'
        '[wsgi]\napi_paste_config = %s\n%s' % (database_url, SVCFRAME_PASTE, extra))


def refusal(services: ServiceRunner, binary: str) -> str:
    """The one line ``binary`` exits 1 with."""
    result = services.run(binary)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert 'Traceback' not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith('%s: error: database ' % binary), line
    return line


@pytest.mark.parametrize('binary', BINARIES)
def test_a_database_never_synced_is_refused_naming_db_sync(
        services: ServiceRunner, database_url: str, binary: str) -> None:
    url = sqlalchemy.engine.make_url(database_url)
    if url.get_backend_name() == 'postgresql':
        url = url.set(password='s3cret')  # trust authentication ignores it
    write_config(services, url.render_as_string(hide_password=False))

    line = refusal(services, binary)

    assert line.endswith('has no svcframe schema (revision none, this release needs %s): %s'
                         % (migration.head(), SYNC))
    assert 's3cret' not in line


@pytest.mark.parametrize('binary', BINARIES)
def test_an_older_revision_is_refused_naming_both_revisions(
        services: ServiceRunner, database_url: str, database: Database, binary: str) -> None:
    migration.sync(database, '0001')
    write_config(services, database_url)

    line = refusal(services, binary)

    assert 'schema revision 0001, older than the %s this release needs' % migration.head() in line
    assert line.endswith(SYNC)


def test_a_revision_from_a_newer_release_says_to_upgrade_svcframe(
        services: ServiceRunner, database_url: str, database: Database) -> None:
    migration.sync(database)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    write_config(services, database_url)

    for binary in (*BINARIES, 'svcframe-manage'):
        args = ('service', 'list') if binary == 'svcframe-manage' else ()
        result = services.run(binary, *args)
        assert result.returncode == 1, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert 'schema revision 0999, which this release does not know' in line
        assert 'upgrade svcframe' in line and 'db sync' not in line
    # db sync refuses too, and leaves the database as it was.
    assert services.run('svcframe-manage', 'db', 'sync').returncode == 1
    assert migration.version(database) == '0999'


def test_manage_refuses_its_commands_until_db_sync(
        services: ServiceRunner, database_url: str) -> None:
    write_config(services, database_url)

    result = services.run('svcframe-manage', 'service', 'list')

    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith('svcframe-manage: error: database ') and line.endswith(SYNC)
    assert services.run('svcframe-manage', 'db', 'sync').returncode == 0
    listed = services.run('svcframe-manage', 'service', 'list')
    assert listed.returncode == 0, listed.stderr


def test_the_synced_schema_starts_after_a_refusal(
        services: ServiceRunner, database_url: str, database: Database) -> None:
    write_config(services, database_url)  # two workers
    refusal(services, 'svcframe-api')

    migration.sync(database)
    api = services.start('svcframe-api')

    port = api_port(api)
    # The check's connection stayed in the parent: each worker opens its own.
    assert [get(port, '/v1/services')[0] for _ in range(20)] == [200] * 20


@pytest.mark.parametrize('revision', [None, '0001'])
def test_svcframe_all_migrates_on_start_rather_than_refusing(
        services: ServiceRunner, database_url: str, database: Database,
        revision: str | None) -> None:
    if revision is not None:
        migration.sync(database, revision)
    services.write_config('[database]\nconnection = %s\n[api]\nport = 0\n'
                          '[wsgi]\napi_paste_config = %s\n' % (database_url, SVCFRAME_PASTE))

    process = services.start('svcframe-all')

    assert get(api_port(process), '/v1/services')[0] == 200
    assert migration.version(database) == migration.head()
    assert 'Traceback' not in process.stdout + process.stderr


def test_gunicorn_does_not_load_the_api_on_a_database_never_synced(
        services: ServiceRunner, database_url: str) -> None:
    write_config(services, database_url, '[api]\nallow_insecure_noauth = True\n')

    result = subprocess.run(
        [script('gunicorn'), '--workers', '1', '--bind', '127.0.0.1:%d' % free_port(),
         'svcframe.wsgi.api:application'],
        env=services.env(SVCFRAME_CONFIG_FILES=str(services.config_path)),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)

    assert result.returncode != 0
    # gunicorn prints the traceback, then the message on a line of its own.
    assert [line for line in result.stderr.splitlines()
            if line.startswith('database ') and line.endswith(SYNC)], result.stderr


@pytest.fixture
def later_database(services: ServiceRunner) -> Iterator[tuple[str, Callable[[], None]]]:
    """The URL of a PostgreSQL database that does not exist yet, and a
    function that creates it (empty); dropped at the end."""
    admin = sqlalchemy.create_engine(service_url('SVCFRAME_TEST_POSTGRESQL_URL', 'PostgreSQL'),
                                     isolation_level='AUTOCOMMIT')
    name = 'svcframe_later_%s' % uuid.uuid4().hex[:12]

    def create() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql('CREATE DATABASE %s' % name)

    yield admin.url.set(database=name).render_as_string(hide_password=False), create
    for process in services.processes:
        process.kill()  # before its database is dropped
    with admin.connect() as connection:
        connection.exec_driver_sql('DROP DATABASE IF EXISTS %s WITH (FORCE)' % name)
    admin.dispose()


def test_a_database_that_appears_unsynced_after_start_is_named_in_one_line(
        services: ServiceRunner, rabbit_url: str, later_database) -> None:
    database_url, create = later_database
    host = 'node-%s' % uuid.uuid4().hex[:8]
    services.write_config(
        # debug: the heartbeat logs each retry's reason then.
        '[DEFAULT]\ntransport_url = %s\nhost = %s\nreport_interval = 1\ndebug = True\n'
        '[database]\nconnection = %s\nretry_interval = 1\nmax_retries = 1\n'
        '[api]\nport = 0\nworkers = 1\n[conductor]\nworkers = 1\n'
        '[wsgi]\napi_paste_config = %s\n' % (rabbit_url, host, database_url, SVCFRAME_PASTE))
    # Nothing to check at start: both start, as for any database not up yet.
    conductor = services.start('svcframe-conductor')
    api = services.start('svcframe-api')
    port = api_port(api)
    wait_until(lambda: answers(rabbit_url, host), timeout=60, what='the conductor to answer')

    create()

    def answer() -> dict | None:
        status, _, body = get(port, '/v1/services')
        error = json.loads(body).get('error', {})
        return error if status == 503 and 'schema' in error.get('message', '') else None
    error = wait_until(answer, timeout=60, what='the API to name the schema')
    assert error['message'] == 'The database schema cannot be used: %s.' % SYNC
    wait_until(lambda: SYNC in conductor.stdout, timeout=60,
               what='the conductor to name the schema')

    database = Database(make_conf(database_url=database_url))
    try:
        migration.sync(database)

        def registered() -> bool:
            return database.service_get_by_host_and_binary(host, 'svcframe-conductor') is not None
        wait_until(registered, timeout=60, what='the conductor to register')
    finally:
        database.close()
    assert get(port, '/v1/services')[0] == 200
    assert conductor.running() and api.running()
    for process in (conductor, api):
        assert 'Traceback' not in process.stdout + process.stderr
    # One line for each request refused, not a traceback of a hundred.
    refused = [line for line in api.stdout.splitlines() if SYNC in line]
    assert refused and all('GET /v1/services: database ' in line for line in refused)


def answers(rabbit_url: str, host: str) -> bool:
    """Whether the conductor on ``host`` answers a ping: it is past its start."""
    transport = rpc.create_transport(make_conf(transport_url=rabbit_url))
    try:
        ConductorAPI(transport, make_conf()).ping(context.get_admin_context(), host, timeout=3)
    except (messaging.MessagingTimeout, messaging.MessageDeliveryFailure):
        return False
    finally:
        transport.cleanup()
    return True
