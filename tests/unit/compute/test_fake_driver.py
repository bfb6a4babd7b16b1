from __future__ import annotations

import pytest
from oslo_config import cfg

from svcframe import exception
from svcframe.compute import driver
from svcframe.compute.fake import FakeBuildError, FakeDriver

INSTANCE = {'uuid': 'u-1', 'name': 'vm', 'vcpus': 1, 'memory_mb': 512}


def test_the_default_driver_is_fake_with_its_configured_capacity(
        conf: cfg.ConfigOpts) -> None:
    conf.set_override('vcpus', 16, group='fake_driver')

    fake = driver.load_driver(conf, 'node-1')

    assert isinstance(fake, FakeDriver)
    assert fake.capacity() == driver.Capacity(vcpus=16, memory_mb=8192)


def test_spawn_and_destroy(conf: cfg.ConfigOpts) -> None:
    fake = FakeDriver(conf, 'node-1')

    fake.spawn(INSTANCE)
    assert set(fake.instances) == {'u-1'}
    fake.destroy(INSTANCE)
    fake.destroy(INSTANCE)  # gone already: nothing to do
    assert fake.instances == {}


def test_failure_injection_by_name(conf: cfg.ConfigOpts) -> None:
    conf.set_override('fail_instance_names', ['vm'], group='fake_driver')
    fake = FakeDriver(conf, 'node-1')

    with pytest.raises(FakeBuildError, match="node-1 was told to fail building 'vm'"):
        fake.spawn(INSTANCE)
    assert fake.instances == {}


def test_an_unknown_driver_lists_the_installed_ones(conf: cfg.ConfigOpts) -> None:
    conf.set_override('driver', 'libvirt', group='compute')

    with pytest.raises(exception.PluginNotFound,
                       match=r"\[compute\] driver = 'libvirt' is not installed.*: fake"):
        driver.load_driver(conf, 'node-1')
