"""svcframe.testing.ServiceFixture: services in this process, on fake://."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from oslo_config import cfg
from oslo_service import periodic_task

from svcframe import context
from svcframe import exception
from svcframe import manager
from svcframe.db import migration
from svcframe.testing import ServiceFixture, make_conf, start_services, wait_until


class EchoManager(manager.Manager):
    """Records its hooks in ``journal``, a list a test hands in."""

    journal: list[str] = []

    def __init__(self, host: str, service_name: str, conf: cfg.ConfigOpts) -> None:
        super().__init__(host, service_name, conf)
        self.ticks = 0

    def init_host(self) -> None:
        self.journal.append('init_host %s' % self.service_name)

    def cleanup_host(self) -> None:
        self.journal.append('cleanup_host %s' % self.service_name)

    @periodic_task.periodic_task(spacing=1, run_immediately=True)
    def tick(self, ctx: context.RequestContext) -> None:
        self.ticks += 1

    def echo(self, ctx: context.RequestContext, text: str) -> dict[str, str]:
        return {'text': text, 'host': self.host, 'request_id': ctx.request_id}


class FailingManager(EchoManager):
    def init_host(self) -> None:
        raise RuntimeError('disk missing')


@pytest.fixture
def journal() -> Iterator[list[str]]:
    EchoManager.journal = []
    yield EchoManager.journal
    EchoManager.journal = []


@pytest.fixture
def conf(tmp_path: Path) -> cfg.ConfigOpts:
    return make_conf(tmp_path / 'state')


@pytest.fixture
def fixtures() -> Iterator[list[ServiceFixture]]:
    """Every ServiceFixture a test starts, stopped after it."""
    started: list[ServiceFixture] = []
    yield started
    for fixture in started:
        fixture.stop()


def start(fixtures: list[ServiceFixture], conf: cfg.ConfigOpts, binaries: list[str],
          **managers: type[manager.Manager]) -> ServiceFixture:
    fixture = ServiceFixture(conf, binaries, {'svcframe-' + topic: cls
                                              for topic, cls in managers.items()})
    fixtures.append(fixture)
    fixture.start()
    return fixture


def test_an_rpc_call_reaches_the_manager_with_the_callers_context(
        conf: cfg.ConfigOpts, fixtures: list[ServiceFixture], journal: list[str]) -> None:
    services = start(fixtures, conf, ['svcframe-compute'], compute=EchoManager)
    ctx = context.RequestContext(request_id='req-fixture-1', overwrite=False)

    answer = services.client('compute').call(ctx, 'echo', host='test-host', text='hi')

    assert answer == {'text': 'hi', 'host': 'test-host', 'request_id': 'req-fixture-1'}
    assert services.client('compute').ping(ctx, 'test-host', arg=7) == {
        'binary': 'svcframe-compute', 'host': 'test-host', 'arg': 7,
        'request_id': 'req-fixture-1'}
    assert journal == ['init_host compute']


def test_periodic_tasks_and_heartbeats_run_while_the_test_blocks(
        conf: cfg.ConfigOpts, fixtures: list[ServiceFixture], journal: list[str]) -> None:
    services = start(fixtures, conf, ['svcframe-compute'], compute=EchoManager)

    wait_until(lambda: services.manager('svcframe-compute').ticks >= 2, what='two ticks')
    assert services.database is None
    assert services.registry.reports('svcframe-compute') >= 1


def test_the_configured_manager_runs_when_none_is_given(
        conf: cfg.ConfigOpts, fixtures: list[ServiceFixture]) -> None:
    conf.set_override('scheduler_manager', 'scheduler')

    services = start(fixtures, conf, ['svcframe-scheduler'])

    assert type(services.manager('svcframe-scheduler')).__name__ == 'SchedulerManager'


def test_with_a_conductor_the_database_is_migrated_and_services_register_through_it(
        conf: cfg.ConfigOpts, fixtures: list[ServiceFixture], journal: list[str]) -> None:
    services = start(fixtures, conf, ['svcframe-conductor', 'svcframe-compute'],
                     compute=EchoManager)

    def registered() -> set[str]:
        return {service.binary for service in services.database.service_get_all()}

    assert migration.version(services.database) == migration.head()
    wait_until(lambda: registered() == {'svcframe-conductor', 'svcframe-compute'},
               what='both services in the registry')
    assert services.registry is None


def test_stop_stops_the_services_in_reverse_order_once(
        conf: cfg.ConfigOpts, journal: list[str]) -> None:
    services = start_services(conf, ['svcframe-conductor', 'svcframe-compute'],
                              {'svcframe-conductor': EchoManager,
                               'svcframe-compute': EchoManager})
    transport = services.transport

    services.stop()
    services.stop()

    assert journal == ['init_host conductor', 'init_host compute',
                       'cleanup_host compute', 'cleanup_host conductor']
    assert services.transport is None
    assert transport is not None
    with pytest.raises(RuntimeError, match='not running'):
        services.client('compute')


def test_a_service_that_fails_to_start_stops_those_started_before_it(
        conf: cfg.ConfigOpts, journal: list[str]) -> None:
    services = ServiceFixture(conf, ['svcframe-conductor', 'svcframe-compute'],
                              {'svcframe-conductor': EchoManager,
                               'svcframe-compute': FailingManager})

    with pytest.raises(RuntimeError, match='disk missing'):
        services.start()

    assert journal == ['init_host conductor', 'cleanup_host conductor']
    assert services.transport is None
    services.stop()


def test_an_unknown_manager_name_is_the_usual_configuration_error(
        conf: cfg.ConfigOpts) -> None:
    conf.set_override('compute_manager', 'nosuch')
    services = ServiceFixture(conf, ['svcframe-compute'])

    with pytest.raises(exception.ConfigError, match="compute_manager = 'nosuch' is not installed"):
        services.start()
    assert services.transport is None


@pytest.mark.parametrize('binaries, managers, message', [
    (['svcframe-compute', 'svcframe-compute'], {}, 'each binary runs once'),
    (['svcframe-compute'], {'svcframe-scheduler': EchoManager}, 'not started: svcframe-scheduler'),
])
def test_a_request_that_cannot_be_met_is_refused_before_anything_starts(
        conf: cfg.ConfigOpts, binaries: list[str], managers: dict, message: str,
        journal: list[str]) -> None:
    with pytest.raises(ValueError, match=message):
        start_services(conf, binaries, managers)
    assert journal == []


def test_as_a_context_manager(conf: cfg.ConfigOpts, journal: list[str]) -> None:
    with ServiceFixture(conf, ['svcframe-compute'], {'svcframe-compute': EchoManager}) as services:
        answer = services.client('compute').call(context.get_admin_context(), 'echo',
                                                 text='inside')
    assert answer['text'] == 'inside'
    assert journal == ['init_host compute', 'cleanup_host compute']
