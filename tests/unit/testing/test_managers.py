from __future__ import annotations

from pathlib import Path

import pytest
from oslo_config import cfg

from svcframe import context
from svcframe import manager
from svcframe.testing import make_conf, make_manager


class FakeClient:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, text: str) -> None:
        self.sent.append(text)


class RealClient:
    def send(self, text: str) -> None:
        raise AssertionError('a test must not reach the real client')


class ForwardingManager(manager.Manager):
    def __init__(self, host: str, service_name: str, conf: cfg.ConfigOpts) -> None:
        super().__init__(host, service_name, conf)
        self.client: RealClient | None = None
        self.hooks: list[str] = []

    def init_host(self) -> None:
        self.hooks.append('init_host')

    def forward(self, ctx: context.RequestContext, text: str) -> str:
        self.client.send(text)
        return self.host


@pytest.fixture
def conf(tmp_path: Path) -> cfg.ConfigOpts:
    return make_conf(tmp_path)


def test_built_as_a_service_would_and_nothing_started(conf: cfg.ConfigOpts) -> None:
    built = make_manager(ForwardingManager, conf)

    assert (built.host, built.service_name, built.conf) == ('test-host', 'compute', conf)
    assert built.hooks == []
    assert built.transport is None


def test_host_and_service_name_can_be_chosen(conf: cfg.ConfigOpts) -> None:
    built = make_manager(ForwardingManager, conf, host='node-2', service_name='scheduler')

    assert (built.host, built.service_name) == ('node-2', 'scheduler')


def test_named_collaborators_are_replaced(conf: cfg.ConfigOpts) -> None:
    fake = FakeClient()
    transport = object()
    built = make_manager(ForwardingManager, conf, client=fake, transport=transport)

    assert built.forward(context.get_admin_context(), 'hello') == 'test-host'
    assert fake.sent == ['hello']
    assert built.transport is transport


def test_a_name_the_manager_does_not_have_is_refused(conf: cfg.ConfigOpts) -> None:
    with pytest.raises(AttributeError, match="ForwardingManager has no attribute 'clinet'"):
        make_manager(ForwardingManager, conf, clinet=FakeClient())
