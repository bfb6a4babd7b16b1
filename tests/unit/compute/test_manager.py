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
