from __future__ import annotations

import json
import logging
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from oslo_config import cfg

from svcframe.composite import CompositeService
from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.embedded import AllInOneService
from svcframe.wsgi import loader as wsgi_loader


def app_factory(global_conf: dict, **local_conf: str) -> Callable:
    """A paste app that answers with the transport the loader gave its factory
    (never one a request could bring in its environ)."""
    transport = wsgi_loader.resources().transport

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        start_response('200 OK', [])
        return [json.dumps({'transport': id(transport)}).encode()]
    return app


class FakeTransport:
    def __init__(self) -> None:
        self.cleaned_up = False

    def cleanup(self) -> None:
        self.cleaned_up = True


class FakePart:
    def __init__(self, binary: str, calls: list[str],
                 on_start: Callable[[], None] = lambda: None) -> None:
        self.binary = binary
        self.calls = calls
        self.on_start = on_start
        self.server = types.SimpleNamespace(url='http://127.0.0.1:8774')

    def start(self) -> None:
        self.calls.append('start ' + self.binary)
        self.on_start()

    def stop(self) -> None:
        self.calls.append('stop ' + self.binary)

    def wait(self) -> None:
        self.calls.append('wait ' + self.binary)

    def reset(self) -> None:
        self.calls.append('reset ' + self.binary)


@pytest.fixture
def state_conf(conf: cfg.ConfigOpts, tmp_path: Path) -> cfg.ConfigOpts:
    conf.set_override('state_path', str(tmp_path / 'state'))
    return conf


@pytest.fixture
def database(state_conf: cfg.ConfigOpts) -> Iterator[Database]:
    database = Database(state_conf)
    yield database
    database.close()


def all_in_one(conf: cfg.ConfigOpts, database: Database, transport: FakeTransport,
               *parts: FakePart) -> AllInOneService:
    return AllInOneService(conf, transport, database,
                           CompositeService('svcframe-all', parts), parts[-1])


def test_create_builds_the_four_services_in_start_order_and_binds_nothing(
        state_conf: cfg.ConfigOpts, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    paste = tmp_path / 'api-paste.ini'
    paste.write_text('[app:api]\npaste.app_factory = %s:app_factory\n' % __name__)
    state_conf.set_override('api_paste_config', str(paste), group='wsgi')
    state_conf.set_override('port', 1, group='api')  # would need root to bind

    service = AllInOneService.create(state_conf)
    try:
        assert [part.binary for part in service.services.parts] == [
            'svcframe-conductor', 'svcframe-scheduler', 'svcframe-compute', 'svcframe-api']
        assert service.services.parts[-1] is service.api
        body = service.api.server.app({}, lambda status, headers: None)
        assert json.loads(b''.join(body)) == {'transport': id(service.transport)}
    finally:
        service.transport.cleanup()
    # fake:// is right here: every service is on the one transport.
    assert [record for record in caplog.records
            if record.levelno >= logging.WARNING] == []


def test_start_migrates_the_database_before_the_first_service_starts(
        state_conf: cfg.ConfigOpts, database: Database) -> None:
    calls: list[str] = []
    revisions: list[str | None] = []
    service = all_in_one(
        state_conf, database, FakeTransport(),
        FakePart('svcframe-conductor', calls,
                 on_start=lambda: revisions.append(migration.version(database))),
        FakePart('svcframe-api', calls))

    service.start()

    assert revisions == [migration.head()]
    assert (Path(state_conf.state_path) / 'svcframe.sqlite').is_file()
    assert calls == ['start svcframe-conductor', 'start svcframe-api']


def test_stop_drains_the_api_first_then_cleans_up_the_shared_transport(
        state_conf: cfg.ConfigOpts, database: Database) -> None:
    calls: list[str] = []
    transport = FakeTransport()
    service = all_in_one(state_conf, database, transport,
                         FakePart('svcframe-conductor', calls),
                         FakePart('svcframe-compute', calls),
                         FakePart('svcframe-api', calls))
    service.start()
    calls.clear()

    service.stop()
    service.wait()

    assert calls == ['stop svcframe-api', 'stop svcframe-compute', 'stop svcframe-conductor',
                     'wait svcframe-api', 'wait svcframe-compute', 'wait svcframe-conductor']
    assert transport.cleaned_up


def test_a_stop_before_start_finished_leaves_the_transport_to_the_process_exit(
        state_conf: cfg.ConfigOpts, database: Database) -> None:
    calls: list[str] = []
    transport = FakeTransport()
    stopper: list[AllInOneService] = []
    service = all_in_one(state_conf, database, transport,
                         FakePart('svcframe-conductor', calls,
                                  on_start=lambda: stopper[0].stop()),
                         FakePart('svcframe-api', calls))
    stopper.append(service)

    service.start()

    assert calls == ['start svcframe-conductor', 'stop svcframe-api', 'stop svcframe-conductor']
    assert not transport.cleaned_up


def test_reset_reaches_every_service(state_conf: cfg.ConfigOpts, database: Database) -> None:
    calls: list[str] = []
    service = all_in_one(state_conf, database, FakeTransport(),
                         FakePart('svcframe-conductor', calls),
                         FakePart('svcframe-scheduler', calls),
                         FakePart('svcframe-api', calls))

    service.reset()

    assert calls == ['reset svcframe-conductor', 'reset svcframe-scheduler',
                     'reset svcframe-api']
