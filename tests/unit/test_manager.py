from __future__ import annotations

import pytest
from oslo_config import cfg
from oslo_service import periodic_task

from svcframe import context
from svcframe import exception
from svcframe import manager
from svcframe.compute.manager import ComputeManager
from svcframe.conductor.manager import ConductorManager
from svcframe.scheduler.manager import SchedulerManager


class CountingManager(manager.Manager):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.runs: list[context.RequestContext] = []

    @periodic_task.periodic_task(spacing=1, run_immediately=True)
    def count(self, ctx: context.RequestContext) -> None:
        self.runs.append(ctx)


@pytest.mark.parametrize('topic, expected', [
    ('compute', ComputeManager), ('conductor', ConductorManager),
    ('scheduler', SchedulerManager)])
def test_load_manager_uses_the_topic_option(conf: cfg.ConfigOpts, topic: str,
                                            expected: type) -> None:
    assert manager.load_manager(topic, conf) is expected


def test_load_manager_by_explicit_name(conf: cfg.ConfigOpts) -> None:
    assert manager.load_manager('compute', conf, name='scheduler') is SchedulerManager


def test_unknown_manager_is_a_config_error_listing_installed_names(conf: cfg.ConfigOpts) -> None:
    conf.set_override('compute_manager', 'nosuch')

    with pytest.raises(exception.PluginNotFound) as raised:
        manager.load_manager('compute', conf)

    assert raised.value.option == '[DEFAULT] compute_manager'
    assert {'compute', 'conductor', 'scheduler'} <= set(raised.value.installed)


def test_topic_without_a_manager_option_is_a_config_error(conf: cfg.ConfigOpts) -> None:
    with pytest.raises(exception.ConfigError) as raised:
        manager.load_manager('billing', conf)

    assert '[DEFAULT] billing_manager' in str(raised.value)


def test_manager_keeps_what_it_is_given(conf: cfg.ConfigOpts) -> None:
    built = CountingManager(host='h1', service_name='compute', conf=conf)

    assert (built.host, built.service_name, built.conf) == ('h1', 'compute', conf)


def test_periodic_tasks_run_with_the_context_and_report_the_next_delay(
        conf: cfg.ConfigOpts) -> None:
    built = CountingManager(host='h1', service_name='compute', conf=conf)
    admin = context.get_admin_context()

    idle = built.periodic_tasks(admin)

    assert built.runs == [admin]
    assert 0 < idle <= 1
