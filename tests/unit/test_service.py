from __future__ import annotations

import eventlet
import pytest
from oslo_config import cfg
from oslo_service import periodic_task

from svcframe import manager
from svcframe.compute.manager import ComputeManager
from svcframe.service import Service, topic_from_binary
from tests.unit.fakes import InMemoryRegistry


class RecordingManager(manager.Manager):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []

    def init_host(self) -> None:
        self.calls.append('init_host')

    def cleanup_host(self) -> None:
        self.calls.append('cleanup_host')

    def reset(self) -> None:
        self.calls.append('reset')

    @periodic_task.periodic_task(spacing=1, run_immediately=True)
    def tick(self, context) -> None:
        self.calls.append('tick')


@pytest.fixture
def conf(conf: cfg.ConfigOpts) -> cfg.ConfigOpts:
    conf.set_override('periodic_fuzzy_delay', 0)
    conf.set_override('host', 'node-1')
    return conf


def create(conf: cfg.ConfigOpts, **kwargs) -> Service:
    kwargs.setdefault('manager', RecordingManager)
    kwargs.setdefault('registry', InMemoryRegistry())
    return Service.create(binary='svcframe-compute', conf=conf, **kwargs)


@pytest.mark.parametrize('binary, topic', [
    ('svcframe-compute', 'compute'), ('svcframe-conductor', 'conductor'),
    ('acme-billing', 'acme-billing')])
def test_topic_from_binary(binary: str, topic: str) -> None:
    assert topic_from_binary(binary) == topic


def test_create_fills_every_setting_from_configuration(conf: cfg.ConfigOpts) -> None:
    service = Service.create(binary='svcframe-compute', conf=conf)

    assert (service.binary, service.topic, service.host) == (
        'svcframe-compute', 'compute', 'node-1')
    assert type(service.manager) is ComputeManager
    assert (service.manager.host, service.manager.service_name) == ('node-1', 'compute')
    assert service.report_interval == 10
    assert service.periodic_enable is True
    assert service.periodic_fuzzy_delay == 0
    assert service.periodic_interval_max == 60


def test_create_follows_the_manager_option(conf: cfg.ConfigOpts) -> None:
    conf.set_override('compute_manager', 'scheduler')

    service = Service.create(binary='svcframe-compute', conf=conf)

    assert type(service.manager).__name__ == 'SchedulerManager'


def test_explicit_arguments_win_over_configuration(conf: cfg.ConfigOpts) -> None:
    service = create(conf, host='other', topic='special', report_interval=3,
                     periodic_enable=False, periodic_fuzzy_delay=7,
                     periodic_interval_max=9)

    assert (service.host, service.topic) == ('other', 'special')
    assert (service.report_interval, service.periodic_enable,
            service.periodic_fuzzy_delay, service.periodic_interval_max) == (3, False, 7, 9)


def test_mutable_settings_follow_configuration_changes(conf: cfg.ConfigOpts) -> None:
    service = create(conf)

    conf.set_override('report_interval', 4)
    conf.set_override('periodic_interval_max', 5)

    assert (service.report_interval, service.periodic_interval_max) == (4, 5)


def test_constructor_starts_nothing(conf: cfg.ConfigOpts) -> None:
    service = create(conf)
    eventlet.sleep(0.05)

    assert service.manager.calls == []


def test_start_runs_init_host_then_periodic_tasks_and_stop_cleans_up(
        conf: cfg.ConfigOpts) -> None:
    service = create(conf)

    service.start()
    eventlet.sleep(0.05)
    service.stop()
    service.wait()

    calls = service.manager.calls
    assert calls[0] == 'init_host'
    assert 'tick' in calls
    assert calls[-1] == 'cleanup_host'
    ticks = calls.count('tick')
    eventlet.sleep(1.2)
    assert service.manager.calls.count('tick') == ticks  # the timer is gone


def test_running_service_registers_and_reports(conf: cfg.ConfigOpts) -> None:
    registry = InMemoryRegistry()
    service = create(conf, registry=registry, periodic_enable=False)

    service.start()
    eventlet.sleep(0.05)
    service.stop()

    assert registry.services == {1: {'host': 'node-1', 'binary': 'svcframe-compute',
                                     'topic': 'compute', 'reports': 1}}


def test_periodic_tasks_can_be_disabled(conf: cfg.ConfigOpts) -> None:
    service = create(conf, periodic_enable=False)

    service.start()
    eventlet.sleep(0.05)
    service.stop()

    assert service.manager.calls == ['init_host', 'cleanup_host']


def test_stop_twice_cleans_up_once(conf: cfg.ConfigOpts) -> None:
    service = create(conf, periodic_enable=False)
    service.start()

    service.stop()
    service.stop()

    assert service.manager.calls == ['init_host', 'cleanup_host']


def test_stop_before_start_is_safe_and_skips_cleanup(conf: cfg.ConfigOpts) -> None:
    service = create(conf)

    service.stop()
    service.wait()

    assert service.manager.calls == []


def test_cleanup_host_is_skipped_when_init_host_failed(conf: cfg.ConfigOpts) -> None:
    class FailingManager(RecordingManager):
        def init_host(self) -> None:
            super().init_host()
            raise RuntimeError('disk missing')

    service = create(conf, manager=FailingManager)

    with pytest.raises(RuntimeError):
        service.start()
    service.stop()

    assert service.manager.calls == ['init_host']


def test_reset_tells_the_manager(conf: cfg.ConfigOpts) -> None:
    service = create(conf, periodic_enable=False)

    service.reset()

    assert service.manager.calls == ['reset']
