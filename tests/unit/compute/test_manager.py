"""The compute manager's side of a build, with the conductor faked."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from oslo_config import cfg

from svcframe import context
from svcframe.compute.manager import ComputeManager

CTX = context.get_admin_context()


class QuotingDriver:
    """A driver whose errors quote the instance name as it came."""

    def spawn(self, instance: dict[str, Any]) -> None:
        raise RuntimeError('no image for %s' % instance['name'])

    def has(self, instance_uuid: str) -> bool:
        return False


class FakeConductor:
    def __init__(self) -> None:
        self.faults: list[str | None] = []

    def build_finished(self, ctx: Any, instance: dict, host: str, fault: str | None,
                       tried_hosts: list[str]) -> None:
        self.faults.append(fault)


def test_a_failed_build_is_one_escaped_line_and_the_fault_goes_back_unchanged(
        conf: cfg.ConfigOpts, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger='svcframe.compute.manager')
    name = 'vm\n2026-01-01 CRITICAL forged'
    manager = ComputeManager(host='node-1', service_name='compute', conf=conf)
    manager.driver = QuotingDriver()
    manager.conductor = FakeConductor()

    manager.build_instance(CTX, {'uuid': 'u-1', 'name': name, 'vcpus': 1, 'memory_mb': 1},
                           ['node-1'])

    [record] = [r for r in caplog.records if r.name == 'svcframe.compute.manager']
    message = record.getMessage()
    assert record.levelno == logging.WARNING and message.splitlines() == [message]
    assert message == ('Building instance u-1 failed on node-1: '
                       'no image for vm\\x0a2026-01-01 CRITICAL forged')
    assert manager.conductor.faults == ['no image for %s' % name]


class CapacityConductor:
    def __init__(self) -> None:
        self.reports: list[tuple[str, int, int, bool]] = []

    def compute_node_report(self, ctx: Any, host: str, vcpus: int, memory_mb: int,
                            wait: bool = False) -> None:
        self.reports.append((host, vcpus, memory_mb, wait))


class FixedCapacity:
    def capacity(self) -> Any:
        return type('Capacity', (), {'vcpus': 4, 'memory_mb': 2048})


def test_the_host_is_up_only_after_its_capacity_is_known_and_then_reported_by_casts(
        conf: cfg.ConfigOpts) -> None:
    """before_up() waits for the conductor to have the capacity (a call), so
    a scheduler can place an instance on the host as soon as it is up; the
    periodic report after it need not wait (a cast)."""
    manager = ComputeManager(host='node-1', service_name='compute', conf=conf)
    manager.driver = FixedCapacity()
    manager.conductor = CapacityConductor()

    manager.before_up(CTX)
    manager.report_capacity(CTX)

    assert manager.conductor.reports == [('node-1', 4, 2048, True), ('node-1', 4, 2048, False)]


class CountingDriver:
    """Builds by remembering; while ``during_spawn`` is set, runs it mid-build."""

    def __init__(self) -> None:
        self.built: dict[str, dict] = {}
        self.spawns = 0
        self.during_spawn = None

    def spawn(self, instance: dict[str, Any]) -> None:
        self.spawns += 1
        if self.during_spawn is not None:
            self.during_spawn()
        self.built[instance['uuid']] = instance

    def has(self, instance_uuid: str) -> bool:
        return instance_uuid in self.built


def test_a_build_sent_again_is_never_built_twice(conf: cfg.ConfigOpts) -> None:
    """A conductor that took over sends the build again: while the first is
    under way the second is dropped (the first reports); once built, it is
    reported again without building."""
    manager = ComputeManager(host='node-1', service_name='compute', conf=conf)
    manager.driver = CountingDriver()
    manager.conductor = FakeConductor()
    instance = {'uuid': 'u-1', 'name': 'vm', 'vcpus': 1, 'memory_mb': 1}
    manager.driver.during_spawn = lambda: manager.build_instance(CTX, instance, ['node-1'])

    manager.build_instance(CTX, instance, ['node-1'])
    manager.driver.during_spawn = None
    manager.build_instance(CTX, instance, ['node-1', 'node-1'])

    assert manager.driver.spawns == 1
    assert manager.conductor.faults == [None, None]
