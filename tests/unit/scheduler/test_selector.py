from __future__ import annotations

import pytest
from oslo_config import cfg

from svcframe import exception
from svcframe import plugins
from svcframe.scheduler import filters
from svcframe.scheduler import weighers
from svcframe.scheduler.host_state import HostState, RequestSpec
from svcframe.scheduler.selector import HostSelector


def host(name: str, free_vcpus: int = 4, free_memory_mb: int = 4096, enabled: bool = True,
         up: bool = True) -> HostState:
    return HostState(host=name, vcpus=8, memory_mb=8192, vcpus_used=8 - free_vcpus,
                     memory_mb_used=8192 - free_memory_mb, enabled=enabled, up=up)


SPEC = RequestSpec(vcpus=2, memory_mb=1024)


@pytest.mark.parametrize('candidate, passes', [
    (host('a'), True),
    (host('a', enabled=False), False),
    (host('a', up=False), False),
    (host('a', free_vcpus=1), False),
    (host('a', free_memory_mb=1023), False),
    (host('a', free_vcpus=2, free_memory_mb=1024), True),
])
def test_default_filters(conf: cfg.ConfigOpts, candidate: HostState, passes: bool) -> None:
    selector = HostSelector.from_conf(conf)

    assert [type(f) for f in selector.filters] == [
        filters.EnabledFilter, filters.UpFilter, filters.CapacityFilter]
    assert (selector.select([candidate], SPEC) == [candidate]) is passes


def test_most_free_memory_ranks_first_and_excluded_hosts_are_left_out(
        conf: cfg.ConfigOpts) -> None:
    selector = HostSelector.from_conf(conf)
    hosts = [host('small', free_memory_mb=2048), host('big', free_memory_mb=8000),
             host('mid', free_memory_mb=4096), host('full', free_vcpus=0)]

    assert [h.host for h in selector.select(hosts, SPEC)] == ['big', 'mid', 'small']
    assert [h.host for h in selector.select(hosts, SPEC, frozenset({'big'}))] == [
        'mid', 'small']


def test_consumed_requests_count_until_fresh_states(conf: cfg.ConfigOpts) -> None:
    only = host('a', free_vcpus=2)
    only.consume(SPEC)

    assert HostSelector.from_conf(conf).select([only], SPEC) == []


@pytest.mark.parametrize('option, namespace', [
    ('enabled_filters', 'svcframe.scheduler.filters'),
    ('weighers', 'svcframe.scheduler.weighers'),
])
def test_an_unknown_name_lists_the_installed_ones(conf: cfg.ConfigOpts, option: str,
                                                  namespace: str) -> None:
    conf.set_override(option, ['nosuch'], group='scheduler')

    with pytest.raises(exception.PluginNotFound) as raised:
        HostSelector.from_conf(conf)

    message = str(raised.value)
    assert "[scheduler] %s = 'nosuch' is not installed" % option in message
    assert namespace in message
    assert ('capacity, enabled, up' if option == 'enabled_filters' else 'free_memory') in message


def test_a_class_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(exception.PluginLoadError,
                       match="x = 'fake' .* not a subclass of .*BaseHostWeigher"):
        plugins.load_subclass('svcframe.compute.drivers', 'fake', 'x',
                              weighers.BaseHostWeigher)
