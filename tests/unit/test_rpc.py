from __future__ import annotations

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from svcframe import baserpc
from svcframe import context
from svcframe import exception
from svcframe import manager
from svcframe import rpc
from svcframe.rpcapi.compute import ComputeAPI
from svcframe.rpcapi.conductor import ConductorAPI
from svcframe.service import Service
from tests.unit.fakes import InMemoryRegistry


class EchoManager(manager.Manager):
    def echo(self, ctx: context.RequestContext, value: object) -> dict:
        return {'value': value, 'request_id': ctx.request_id, 'user': ctx.user_id}


@pytest.fixture
def transport(conf: cfg.ConfigOpts):
    transport = rpc.create_transport(conf)
    yield transport
    transport.cleanup()


@pytest.fixture
def compute(conf: cfg.ConfigOpts, transport):
    conf.set_override('periodic_enable', False)
    service = Service.create(binary='svcframe-compute', host='node-1', manager=EchoManager,
                             conf=conf, transport=transport, registry=InMemoryRegistry())
    service.start()
    yield service
    service.stop()


def test_default_transport_is_in_memory_with_svcframes_exchange(conf: cfg.ConfigOpts) -> None:
    assert conf.transport_url == 'fake://'
    assert conf.control_exchange == 'svcframe'
    assert rpc.is_in_memory(conf)


def test_bad_transport_url_is_a_config_error(conf: cfg.ConfigOpts) -> None:
    conf.set_override('transport_url', 'no-scheme-here')

    with pytest.raises(exception.InvalidOptionValue) as raised:
        rpc.create_transport(conf)

    assert (raised.value.name, raised.value.value) == ('transport_url', 'no-scheme-here')


def test_context_travels_through_the_serializer() -> None:
    serializer = rpc.RequestContextSerializer()
    sent = context.RequestContext(user_id='u1', project_id='p1', roles=['member'],
                                  request_id='req-abc', overwrite=False)

    sent_fields = serializer.serialize_context(sent)
    received = serializer.deserialize_context(sent_fields)

    assert None not in sent_fields.values()  # unset fields are not sent

    assert isinstance(received, context.RequestContext)
    assert (received.user_id, received.project_id, received.roles, received.request_id) == (
        'u1', 'p1', ['member'], 'req-abc')


@pytest.mark.parametrize('method, allowed', [
    ('echo', True), ('init_host', False), ('cleanup_host', False), ('reset', False),
    ('periodic_tasks', False), ('run_periodic_tasks', False), ('_secret', False)])
def test_rpc_may_call_only_the_managers_own_methods(conf: cfg.ConfigOpts, method: str,
                                                    allowed: bool) -> None:
    endpoint = EchoManager(host='h', service_name='compute', conf=conf)

    assert manager.RPCAccessPolicy().is_allowed(endpoint, method) is allowed


def test_ping_reaches_the_service_on_its_host(compute: Service, transport,
                                              conf: cfg.ConfigOpts) -> None:
    ctx = context.RequestContext(request_id='req-ping', overwrite=False)

    answer = ComputeAPI(transport, conf, timeout=10).ping(ctx, 'node-1', arg='hi')

    assert answer == {'binary': 'svcframe-compute', 'host': 'node-1', 'arg': 'hi',
                      'request_id': 'req-ping'}


def test_manager_methods_are_called_with_the_callers_context(
        compute: Service, transport, conf: cfg.ConfigOpts) -> None:
    client = ComputeAPI(transport, conf, timeout=10)
    ctx = context.RequestContext(user_id='alice', request_id='req-echo', overwrite=False)

    answer = client.prepare(host='node-1').call(ctx, 'echo', value=[1, 2])

    assert answer == {'value': [1, 2], 'request_id': 'req-echo', 'user': 'alice'}


def test_base_hooks_cannot_be_called_over_rpc(compute: Service, transport,
                                              conf: cfg.ConfigOpts) -> None:
    client = ComputeAPI(transport, conf, timeout=10)

    with pytest.raises(messaging.NoSuchMethod):
        client.prepare(host='node-1').call(context.get_admin_context(), 'cleanup_host')


def test_version_cap_comes_from_upgrade_levels(conf: cfg.ConfigOpts, transport) -> None:
    conf.set_override('conductor', '1.0', group='upgrade_levels')

    assert ConductorAPI(transport, conf).version_cap == '1.0'
    assert ComputeAPI(transport, conf).version_cap is None


def test_base_endpoint_answers_ping_with_who_it_is() -> None:
    endpoint = baserpc.BaseRPCEndpoint('svcframe-scheduler', 'h2')
    ctx = context.RequestContext(request_id='req-1', overwrite=False)

    assert endpoint.ping(ctx, 'x') == {'binary': 'svcframe-scheduler', 'host': 'h2',
                                       'arg': 'x', 'request_id': 'req-1'}
