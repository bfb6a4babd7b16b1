"""The database goes away under running services, or is not there yet: they carry on.

Each test runs a PostgreSQL cluster of its own (private_postgres.py), never
the machine's shared server, so it can stop and start it at will.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe import context
from svcframe import rpc
from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.rpcapi.conductor import ConductorAPI
from tests.integration import private_postgres
from tests.integration.conftest import ServiceProcess, ServiceRunner, free_port, wait_until
from tests.integration.test_api import SVCFRAME_PASTE, api_port, get
from tests.real_servers import REQUIRE_SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

BINARIES = ('svcframe-conductor', 'svcframe-compute')
HEARTBEAT_FAILED = 'cannot report to the service registry'
HEARTBEAT_BACK = 'reports to the service registry again'
# A service that starts before its registry answers waits for it (at INFO).
WAITS_AT_START = 'waits for the service registry'
UP_AFTER_WAITING = 'is registered and up, after waiting'


@pytest.fixture
def postgres() -> Iterator[private_postgres.PrivatePostgres]:
    """A private PostgreSQL cluster, running, that the test may stop and start."""
    reason = private_postgres.why_unavailable()
    if reason is not None:
        message = 'no private PostgreSQL cluster: %s' % reason
        if REQUIRE_SERVICES:
            pytest.fail(message + ' (SVCFRAME_REQUIRE_SERVICES=1)')
        pytest.skip(message)
    server = private_postgres.PrivatePostgres.create(free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def private_database_url(postgres: private_postgres.PrivatePostgres) -> Iterator[str]:
    """A migrated svcframe database in the private cluster."""
    url = postgres.create_database('svcframe')
    database = Database(make_conf(database_url=url))
    try:
        migration.sync(database)
    finally:
        database.close()
    yield url


def make_conf(database_url: str | None = None, transport_url: str | None = None
              ) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf([], project='svcframe-tests', default_config_files=[])
    if database_url:
        conf.set_override('connection', database_url, group='database')
    if transport_url:
        conf.set_override('transport_url', transport_url)
    return conf


def write_config(services: ServiceRunner, rabbit_url: str, database_url: str,
                 host: str) -> None:
    # One report a second, down after three missed: the outage is seen
    # quickly. retry_interval = 1: oslo.db's connection retries at start-up
    # do not hold the test for ten seconds each.
    services.write_config(
        '[DEFAULT]\ntransport_url = %s\nhost = %s\nreport_interval = 1\n'
        'service_down_time = 3\n'
        '[database]\nconnection = %s\nretry_interval = 1\n'
        '[api]\nport = 0\nworkers = 1\n[wsgi]\napi_paste_config = %s\n'
        '[conductor]\nworkers = 1\n'
        % (rabbit_url, host, database_url, SVCFRAME_PASTE))


class Registry:
    """The services of one host as GET /v1/services shows them."""

    def __init__(self, port: int, host: str) -> None:
        self.port = port
        self.host = host

    def error(self) -> dict:
        """The JSON error the API answers with (it must be one)."""
        status, _, body = get(self.port, '/v1/services?host=%s' % self.host)
        assert status >= 400, body
        return json.loads(body)['error']

    def listed(self) -> dict[str, dict] | None:
        """Each binary's record, or None while the API cannot read them."""
        status, _, body = get(self.port, '/v1/services?host=%s' % self.host)
        if status != 200:
            return None
        return {service['binary']: service for service in json.loads(body)['services']}

    def all_up(self) -> dict[str, dict] | None:
        seen = self.listed()
        if seen is None or set(seen) != set(BINARIES):
            return None
        return seen if all(service['state'] == 'up' for service in seen.values()) else None

    def reported_since(self, before: dict[str, dict], reports: int = 2
                       ) -> dict[str, dict] | None:
        """Every binary up, with ``reports`` more reports than in ``before``."""
        seen = self.all_up()
        if seen is None:
            return None
        grown = all(seen[binary]['report_count'] >= before[binary]['report_count'] + reports
                    for binary in BINARIES)
        return seen if grown else None


    def pages(self, limit: int) -> list[list[str]]:
        """The binaries on each page, following the next links."""
        pages: list[list[str]] = []
        path: str | None = '/v1/services?host=%s&limit=%d' % (self.host, limit)
        while path is not None:
            status, _, body = get(self.port, path)
            assert status == 200, body
            document = json.loads(body)
            pages.append([service['binary'] for service in document['services']])
            links = document.get('services_links', [])
            path = urllib.parse.urlsplit(links[0]['href'])._replace(
                scheme='', netloc='').geturl() if links else None
        return pages


def logged(process: ServiceProcess, text: str, since: int = 0) -> int:
    """How often ``text`` is in the process's log after its first ``since`` characters."""
    return process.stdout[since:].count(text)


def test_heartbeats_fail_while_the_database_restarts_and_resume_after(
        postgres: private_postgres.PrivatePostgres, private_database_url: str, rabbit_url: str,
        services: ServiceRunner) -> None:
    host = 'node-%s' % uuid.uuid4().hex[:8]
    write_config(services, rabbit_url, private_database_url, host)
    conductor = services.start('svcframe-conductor')
    compute = services.start('svcframe-compute')
    api = services.start('svcframe-api')
    registry = Registry(api_port(api), host)
    before = wait_until(registry.all_up, timeout=60, what='conductor and compute up')

    # Compute may have logged a failure already: a first report before the
    # conductor served.
    marks = {process: len(process.stdout) for process in (conductor, compute)}
    postgres.stop()
    try:
        # The API cannot read the registry (a JSON 503), and both heartbeats
        # fail, through the conductor for compute.
        assert registry.error()['code'] == 503
        wait_until(lambda: all(logged(process, HEARTBEAT_FAILED, mark)
                               for process, mark in marks.items()),
                   timeout=30, what='both heartbeats to fail')
    finally:
        postgres.start()

    after = wait_until(lambda: registry.reported_since(before), timeout=60,
                       what='heartbeats to resume after the restart')

    assert {service['status'] for service in after.values()} == {'enabled'}
    assert conductor.running() and compute.running() and api.running()
    for process, mark in marks.items():
        # Logged once while failing, and once more when it got through.
        assert logged(process, HEARTBEAT_FAILED, mark) == 1, process.stdout
        assert logged(process, HEARTBEAT_BACK, mark) == 1, process.stdout
        assert 'Traceback' not in process.stdout + process.stderr
    # The list pages through both, one a page, by the next links.
    assert sorted(registry.pages(limit=1)) == sorted([binary] for binary in BINARIES)


def test_conductor_started_while_the_database_is_down_registers_once_it_is_up(
        postgres: private_postgres.PrivatePostgres, private_database_url: str, rabbit_url: str,
        services: ServiceRunner) -> None:
    host = 'node-%s' % uuid.uuid4().hex[:8]
    write_config(services, rabbit_url, private_database_url, host)
    postgres.stop()
    conductor = services.start('svcframe-conductor')
    transport = rpc.create_transport(make_conf(transport_url=rabbit_url))
    try:
        conductor_api = ConductorAPI(transport, make_conf())

        def answers() -> dict | None:
            try:
                return conductor_api.ping(context.get_admin_context(), host, timeout=3)
            except (messaging.MessagingTimeout, messaging.MessageDeliveryFailure):
                return None

        # Without its database the conductor still serves RPC, and keeps
        # trying to register, saying why it cannot.
        assert wait_until(answers, timeout=60, what='the conductor to answer')['host'] == host
        wait_until(lambda: logged(conductor, WAITS_AT_START), timeout=60,
                   what='the conductor to log that it waits for its database')
        [waiting] = [line for line in conductor.stdout.splitlines() if WAITS_AT_START in line]
        assert ' INFO ' in waiting
        assert 'database %s is unreachable: ' % private_database_url in waiting
        assert conductor.running()

        postgres.start()

        database = Database(make_conf(database_url=private_database_url))
        try:
            def registered_and_reporting() -> bool:
                record = database.service_get_by_host_and_binary(host, 'svcframe-conductor')
                return record is not None and record.report_count >= 2
            wait_until(registered_and_reporting, timeout=60,
                       what='the conductor to register and report')
        finally:
            database.close()
        assert answers()['host'] == host
    finally:
        transport.cleanup()
    assert conductor.running()
    assert logged(conductor, WAITS_AT_START) == 1 and logged(conductor, UP_AFTER_WAITING) == 1
    assert 'Traceback' not in conductor.stdout + conductor.stderr


def test_readiness_follows_the_conductor_and_the_database(
        postgres: private_postgres.PrivatePostgres, private_database_url: str, rabbit_url: str,
        services: ServiceRunner) -> None:
    write_config(services, rabbit_url, private_database_url, 'node-%s' % uuid.uuid4().hex[:8])
    port = api_port(services.start('svcframe-api'))

    def ready() -> tuple[int, str]:
        status, _, body = get(port, '/healthcheck/ready')
        return status, (json.loads(body).get('error') or {}).get('message', '')

    def not_ready() -> str | None:
        status, message = ready()
        return message if status == 503 else None

    assert 'no svcframe-conductor is up' in not_ready()
    services.start('svcframe-conductor')
    wait_until(lambda: ready()[0] == 200, timeout=60, what='ready once a conductor is up')

    postgres.stop()
    try:
        message = wait_until(not_ready, timeout=30, what='not ready while the database is down')
        assert 'the database does not answer' in message
        assert get(port, '/healthcheck')[0] == 200  # liveness stays
    finally:
        postgres.start()
    wait_until(lambda: ready()[0] == 200, timeout=60, what='ready again with the database back')
