"""Services as processes talking over a real RabbitMQ."""

from __future__ import annotations

import signal
import threading
import uuid

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe import context
from svcframe import rpc
from svcframe.rpcapi.compute import ComputeAPI
from svcframe.rpcapi.conductor import ConductorAPI
from tests.integration.conftest import ServiceRunner, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


@pytest.fixture
def host() -> str:
    """A host name of this test's own, so tests sharing the vhost never meet."""
    return 'node-%s' % uuid.uuid4().hex[:8]


@pytest.fixture
def client_conf(rabbit_url: str) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf([], project='svcframe-tests', default_config_files=[])
    conf.set_override('transport_url', rabbit_url)
    return conf


@pytest.fixture
def transport(client_conf: cfg.ConfigOpts):
    transport = rpc.create_transport(client_conf)
    yield transport
    transport.cleanup()


def config(rabbit_url: str, host: str, extra: str = '') -> str:
    return ('[DEFAULT]\ntransport_url = %s\nhost = %s\ncompute_manager = recorder\n'
            'conductor_manager = recorder\n%s' % (rabbit_url, host, extra))


def test_ping_crosses_rabbitmq_to_each_service_with_the_callers_context(
        services: ServiceRunner, rabbit_url: str, host: str, transport,
        client_conf: cfg.ConfigOpts) -> None:
    services.write_config(config(rabbit_url, host, '[conductor]\nworkers = 2\n'))
    services.start('svcframe-compute')
    services.start('svcframe-conductor')
    wait_until(lambda: len(services.events.of('init_host')) == 3, what='three services')
    ctx = context.RequestContext(request_id='req-%s' % uuid.uuid4(), overwrite=False)

    compute = wait_until(lambda: ping(ComputeAPI(transport, client_conf), host, ctx),
                         timeout=30, what='compute to answer')
    conductor = wait_until(lambda: ping(ConductorAPI(transport, client_conf), host, ctx),
                           timeout=30, what='conductor to answer')
    assert compute == {'binary': 'svcframe-compute', 'host': host, 'arg': 'hello',
                       'request_id': ctx.request_id}
    assert conductor['binary'] == 'svcframe-conductor' and conductor['host'] == host


def test_sigterm_lets_a_call_in_flight_finish_before_exiting(
        services: ServiceRunner, rabbit_url: str, host: str, transport,
        client_conf: cfg.ConfigOpts) -> None:
    services.write_config(config(rabbit_url, host))
    compute = services.start('svcframe-compute')
    wait_until(lambda: services.events.of('init_host'), what='init_host')
    client = ComputeAPI(transport, client_conf, timeout=30)
    wait_until(lambda: ping(client, host), timeout=30, what='compute to answer')
    ctx = context.RequestContext(request_id='req-slow', overwrite=False)
    answers: list[str] = []
    caller = threading.Thread(target=lambda: answers.append(
        client.prepare(host=host).call(ctx, 'slow_echo', value='kept', seconds=2)))
    caller.start()
    wait_until(lambda: services.events.of('slow_echo_started'), what='the call to start')

    compute.send(signal.SIGTERM)

    caller.join(timeout=30)
    assert answers == ['kept']
    assert compute.wait(timeout=30) == 0
    events = [event for _, event, _ in services.events.all()]
    assert events.index('slow_echo_done') < events.index('cleanup_host')
    assert services.events.of('slow_echo_started')[0][2] == ['kept', 'req-slow']


def ping(api, host: str, ctx: context.RequestContext | None = None) -> dict | None:
    """The service's answer, or None while its consumer is not bound yet."""
    try:
        return api.ping(ctx or context.get_admin_context(), host, arg='hello', timeout=2)
    except messaging.MessagingTimeout:
        return None
