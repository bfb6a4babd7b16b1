from __future__ import annotations


import pytest
from oslo_config import cfg

from svcframe import exception
from svcframe import servicegroup
from svcframe.db.api import Database
from tests.unit.fakes import InMemoryRegistry


class FlakyRegistry(InMemoryRegistry):
    """Fails while ``down`` is set, like a conductor or database that went away."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

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
