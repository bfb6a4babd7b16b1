from __future__ import annotations

import logging
from typing import Any

import pytest
from oslo_config import cfg

from svcframe import context
from svcframe.scheduler.manager import SchedulerManager
from svcframe.scheduler.selector import HostSelector

CTX = context.get_admin_context()


class FakeConductor:
    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.reads = 0

    def host_states(self, ctx: Any) -> list[dict[str, Any]]:
        self.reads += 1
        return [dict(state) for state in self.states]


def state(host: str, free_memory_mb: int) -> dict[str, Any]:
    return {'host': host, 'vcpus': 8, 'memory_mb': 8192, 'vcpus_used': 0,
            'memory_mb_used': 8192 - free_memory_mb, 'enabled': True, 'up': True}


def scheduler(conf: cfg.ConfigOpts, conductor: FakeConductor) -> SchedulerManager:
    manager = SchedulerManager(host='s', service_name='scheduler', conf=conf)
    manager.selector = HostSelector.from_conf(conf)
    manager.conductor = conductor
    return manager


def test_a_burst_reads_host_states_once_and_spreads_by_what_it_placed(
        conf: cfg.ConfigOpts) -> None:
    conductor = FakeConductor([state('a', 4096), state('b', 3072)])
    manager = scheduler(conf, conductor)
    spec = {'vcpus': 1, 'memory_mb': 2048}

    firsts = [manager.select_destinations(CTX, spec, [])[0] for _ in range(3)]

    assert firsts == ['a', 'b', 'a']
    assert conductor.reads == 1


def test_fresh_reads_again_and_excluded_hosts_are_left_out(conf: cfg.ConfigOpts) -> None:
    conductor = FakeConductor([state('a', 4096), state('b', 3072)])
    manager = scheduler(conf, conductor)
    spec = {'vcpus': 1, 'memory_mb': 4096}

    assert manager.select_destinations(CTX, spec, []) == ['a']
    assert manager.select_destinations(CTX, spec, []) == []  # a is taken, in the cache
    assert manager.select_destinations(CTX, spec, [], fresh=True) == ['a']
    assert manager.select_destinations(CTX, spec, ['a'], fresh=True) == []
    assert conductor.reads == 3


def test_the_clients_instance_name_is_escaped_in_the_log_line(
        conf: cfg.ConfigOpts, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger='svcframe.scheduler.manager')
    manager = scheduler(conf, FakeConductor([state('a', 4096)]))

    manager.select_destinations(CTX, {'vcpus': 1, 'memory_mb': 1,
                                      'name': 'vm\n2026-01-01 CRITICAL forged'}, [])

    [record] = [r for r in caplog.records if r.name == 'svcframe.scheduler.manager']
    assert record.getMessage() == ('Hosts for instance vm\\x0a2026-01-01 CRITICAL forged '
                                   '(1 vcpus, 1 MB): a')


def test_none_fits_is_logged_once_for_the_conductors_two_asks(
        conf: cfg.ConfigOpts, caplog: pytest.LogCaptureFixture) -> None:
    """The conductor asks from cached states, then fresh ones when none fits:
    one INFO line for the one answer that counts."""
    caplog.set_level(logging.INFO, logger='svcframe.scheduler.manager')
    manager = scheduler(conf, FakeConductor([state('a', 1024)]))
    spec = {'vcpus': 1, 'memory_mb': 4096, 'name': 'big'}

    assert manager.select_destinations(CTX, spec, []) == []
    assert manager.select_destinations(CTX, spec, [], fresh=True) == []

    assert [r.getMessage() for r in caplog.records] == [
        'Hosts for instance big (1 vcpus, 4096 MB): none fits']
