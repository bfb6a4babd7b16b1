from __future__ import annotations

import logging

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from svcframe import exception
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


def test_a_registration_that_fails_at_start_up_says_why_once_and_is_retried(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger='svcframe.servicegroup')
    registry = FlakyRegistry()
    registry.down = True
    beats = heartbeat(registry)

    assert [beats.beat() for _ in range(3)] == [1, 2, 4]
    registry.down = False
    assert beats.beat() == 10

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # The reason's first line only: an error from the conductor carries
    # its traceback after it.
    assert warnings == ['svcframe-compute on node-1 cannot register with the service '
                        'registry, and will keep trying (next in 1 s): registry unreachable']
    assert registry.services[1]['reports'] == 1


def test_a_deleted_record_is_registered_again() -> None:
    registry = InMemoryRegistry()
    beats = heartbeat(registry)
    beats.beat()

    del registry.services[1]
    original_report = registry.report

    def report(service_id: int) -> None:
        if service_id not in registry.services:
            raise exception.ServiceNotFound(service_id)
        original_report(service_id)
    registry.report = report
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
