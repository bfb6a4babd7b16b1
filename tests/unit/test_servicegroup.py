from __future__ import annotations

import logging

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from svcframe import exception
from svcframe import rpc
from svcframe import servicegroup
from svcframe.db.api import Database
from tests.unit.fakes import InMemoryRegistry


class UnreachableDatabase:
    """Every query fails as a stopped database server makes it fail."""

    def _refuse(self, *args: object) -> None:
        raise exception.DatabaseUnavailable('postgresql://db/svcframe', 'Connection refused')

    service_get_by_host_and_binary = service_create = service_report = _refuse


class FlakyRegistry(InMemoryRegistry):
    """Fails while ``down`` is set, like a conductor or database that went away."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def register(self, host: str, binary: str, topic: str) -> int:
        if self.down:
            raise ConnectionError('registry unreachable\nTraceback (most recent call last):')
        return super().register(host, binary, topic)

    def report(self, service_id: int) -> None:
        if self.down:
            raise ConnectionError('registry unreachable')
        super().report(service_id)


def heartbeat(registry) -> servicegroup.Heartbeat:
    return servicegroup.Heartbeat(registry, 'node-1', 'svcframe-compute', 'compute',
                                  interval=lambda: 10)


def test_first_beat_registers_then_each_beat_reports() -> None:
    registry = InMemoryRegistry()
    beats = heartbeat(registry)

    beats.beat()
    beats.beat()

    assert registry.services == {1: {'host': 'node-1', 'binary': 'svcframe-compute',
                                     'topic': 'compute', 'reports': 2}}


def test_failures_are_logged_once_and_the_recovery_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger='svcframe.servicegroup')
    registry = FlakyRegistry()
    beats = heartbeat(registry)
    beats.beat()
    registry.down = True

    for _ in range(3):
        beats.beat()
    registry.down = False
    beats.beat()

    messages = [record.getMessage() for record in caplog.records]
    assert sum('cannot report' in message for message in messages) == 1
    assert sum('reports to the service registry again' in message for message in messages) == 1
    assert registry.services[1]['reports'] == 2


def test_failed_beats_are_retried_sooner_backing_off_to_the_interval() -> None:
    registry = FlakyRegistry()
    beats = heartbeat(registry)
    assert beats.beat() == 10
    registry.down = True

    delays = [beats.beat() for _ in range(6)]
    registry.down = False

    assert delays == [1, 2, 4, 8, 10, 10]
    assert beats.beat() == 10 and beats.failures == 0
    assert registry.services[1]['reports'] == 2


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_waiting_for_the_registry_at_start_up_is_quiet_until_it_lasts(
        caplog: pytest.LogCaptureFixture) -> None:
    """Services started together: the conductor may come up after the
    others, which wait for it at INFO, and warn only once it takes long."""
    caplog.set_level(logging.INFO, logger='svcframe.servicegroup')
    registry = FlakyRegistry()
    registry.down = True
    clock = Clock()
    beats = servicegroup.Heartbeat(registry, 'node-1', 'svcframe-compute', 'compute',
                                   interval=lambda: 10, clock=clock)

    delays = []
    for _ in range(12):
        delays.append(beats.beat())
        clock.now += delays[-1]
    registry.down = False
    assert beats.beat() == 10

    assert delays == [1, 2, 4, 8, 10, 10, 10, 10, 10, 10, 10, 10]
    logged = [(r.levelname, r.getMessage()) for r in caplog.records]
    # The reason's first line only: an error from the conductor carries
    # its traceback after it.
    assert logged == [
        ('INFO', 'svcframe-compute on node-1 waits for the service registry; next try '
                 'in 1 s: registry unreachable'),
        ('WARNING', 'svcframe-compute on node-1 has waited 65 s for the service registry, '
                    'and keeps trying: registry unreachable'),
        ('INFO', 'svcframe-compute on node-1 is registered and up, after waiting 95 s for '
                 'the service registry')]
    assert registry.services[1]['reports'] == 1


def test_a_new_reason_to_wait_is_said_again(caplog: pytest.LogCaptureFixture) -> None:
    """A database that comes up unmigrated: 'unreachable', then 'db sync'."""
    caplog.set_level(logging.INFO, logger='svcframe.servicegroup')
    registry = FlakyRegistry()
    registry.down = True
    beats = heartbeat(registry)
    beats.beat()
    beats.beat()

    def unmigrated(*args: object) -> int:
        raise exception.SchemaMismatch('sqlite:///x', None, '0004')
    registry.register = unmigrated
    beats.beat()
    beats.beat()

    reasons = [r.getMessage().split(': ', 1)[1] for r in caplog.records]
    assert len(reasons) == 2
    assert reasons[0] == 'registry unreachable'
    assert 'svcframe-manage db sync' in reasons[1]


def test_a_short_wait_at_start_up_logs_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger='svcframe.servicegroup')
    registry = FlakyRegistry()
    registry.down = True
    beats = heartbeat(registry)

    assert [beats.beat() for _ in range(3)] == [1, 2, 4]
    registry.down = False
    assert beats.beat() == 10

    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert registry.services[1]['reports'] == 1


class ReadyAfter:
    """A before_up() hook that fails ``failures`` times, then succeeds."""

    def __init__(self, registry: InMemoryRegistry, failures: int) -> None:
        self.registry = registry
        self.failures = failures
        self.calls: list[int] = []

    def __call__(self) -> None:
        # Registered, and not yet reported: not up while getting ready.
        self.calls.append(sum(s['reports'] for s in self.registry.services.values()))
        if len(self.calls) <= self.failures:
            raise ConnectionError('conductor did not answer')


def test_the_first_report_waits_for_before_up_which_is_retried() -> None:
    registry = InMemoryRegistry()
    ready = ReadyAfter(registry, failures=2)
    beats = servicegroup.Heartbeat(registry, 'node-1', 'svcframe-compute', 'compute',
                                   interval=lambda: 10, before_up=ready)

    assert [beats.beat() for _ in range(3)] == [1, 2, 10]
    beats.beat()

    assert list(registry.services) == [1]  # registered once
    assert ready.calls == [0, 0, 0]  # never once reported before it succeeded
    assert registry.services[1]['reports'] == 2


def test_before_up_runs_again_when_the_service_registers_anew() -> None:
    registry = InMemoryRegistry()
    ready = ReadyAfter(registry, failures=0)
    beats = servicegroup.Heartbeat(registry, 'node-1', 'svcframe-compute', 'compute',
                                   interval=lambda: 10, before_up=ready)
    beats.beat()
    del registry.services[1]  # an operator deleted the record

    beats.beat()
    beats.beat()

    assert len(ready.calls) == 2 and registry.services[1]['reports'] == 1


class SilentConductor:
    """A conductor not started yet: every call times out, noting its timeout."""

    def __init__(self) -> None:
        self.timeouts: list[float] = []
        self.answer = False

    def service_register(self, context: object, host: str, binary: str, topic: str,
                         timeout: float | None = None) -> int:
        self.timeouts.append(timeout)
        if not self.answer:
            raise messaging.MessagingTimeout('no reply')
        return 7


def test_registering_through_the_conductor_starts_with_short_timeouts() -> None:
    conductor = SilentConductor()
    registry = servicegroup.ConductorRegistry(conductor, timeout=10)

    for _ in range(4):
        with pytest.raises(messaging.MessagingTimeout):
            registry.register('node-1', 'svcframe-compute', 'compute')
    conductor.answer = True
    assert registry.register('node-1', 'svcframe-compute', 'compute') == 7
    conductor.answer = False
    with pytest.raises(messaging.MessagingTimeout):
        registry.register('node-1', 'svcframe-compute', 'compute')

    assert conductor.timeouts == [2, 4, 8, 10, 10, 2]


def test_a_deleted_record_is_registered_again() -> None:
    registry = InMemoryRegistry()
    beats = heartbeat(registry)
    beats.beat()

    del registry.services[1]  # an operator deleted the record
    beats.beat()
    beats.beat()

    assert beats.service_id == 1 and registry.services[1]['reports'] == 1


def test_database_registry_reuses_the_record_of_a_restarted_service(
        database: Database, conf: cfg.ConfigOpts) -> None:
    registry = servicegroup.DatabaseRegistry(database, conf)

    first = registry.register('node-1', 'svcframe-compute', 'compute')
    registry.report(first)
    again = registry.register('node-1', 'svcframe-compute', 'compute')

    assert again == first
    assert database.service_get(first).report_count == 1


def test_new_services_may_start_disabled(database: Database, conf: cfg.ConfigOpts) -> None:
    conf.set_override('enable_new_services', False)

    service_id = servicegroup.DatabaseRegistry(database, conf).register(
        'node-1', 'svcframe-compute', 'compute')

    assert database.service_get(service_id).disabled is True


def test_registry_endpoint_tells_the_caller_its_record_is_gone(
        database: Database, conf: cfg.ConfigOpts) -> None:
    endpoint = servicegroup.RegistryEndpoint(servicegroup.DatabaseRegistry(database, conf))
    service_id = endpoint.service_register(None, 'node-1', 'svcframe-compute', 'compute')

    assert endpoint.service_report(None, service_id) is True
    database.service_destroy(service_id)
    assert endpoint.service_report(None, service_id) is False


def test_registry_endpoint_hands_an_unreachable_database_back_as_expected(
        conf: cfg.ConfigOpts) -> None:
    endpoint = servicegroup.RegistryEndpoint(
        servicegroup.DatabaseRegistry(UnreachableDatabase(), conf))

    # Expected: the RPC server answers the caller with it and logs no
    # traceback.
    for call in (lambda: endpoint.service_register(None, 'node-1', 'svcframe-compute',
                                                   'compute'),
                 lambda: endpoint.service_report(None, 1)):
        with pytest.raises(messaging.ExpectedException) as raised:
            call()
        assert raised.value.exc_info[0] is exception.DatabaseUnavailable


def test_the_conductor_owns_the_registry_and_serves_it_and_others_go_through_it(
        conf: cfg.ConfigOpts, database: Database) -> None:
    owner = servicegroup.membership_for('conductor')(None, conf, 10)
    try:
        assert isinstance(owner.registry, servicegroup.DatabaseRegistry)
        [endpoint] = owner.endpoints
        assert isinstance(endpoint, servicegroup.RegistryEndpoint)
        assert endpoint.registry is owner.registry
    finally:
        owner.close()

    transport = rpc.create_transport(conf, warn_in_memory=False)  # fake://
    try:
        for topic in ('compute', 'scheduler', 'acme'):
            member = servicegroup.membership_for(topic)(transport, conf, 10)
            assert isinstance(member.registry, servicegroup.ConductorRegistry)
            assert member.endpoints == () and member.registry.timeout == 10
    finally:
        transport.cleanup()

    registry = InMemoryRegistry()
    assert servicegroup.given(registry)(None, conf, 10) == servicegroup.Membership(registry)
