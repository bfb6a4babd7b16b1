"""Faults under running services: they recover by themselves.

A test that stops the broker stops a RabbitMQ node of this module's own
(private_rabbitmq.py), never the machine's shared one, which other tests use
at the same time.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe import context
from svcframe import rpc
from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.rpcapi.compute import ComputeAPI
from svcframe.rpcapi.conductor import ConductorAPI
from tests.integration import private_rabbitmq
from tests.integration.conftest import ServiceRunner, free_port, wait_until
from tests.real_servers import absent

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


def two_free_ports() -> tuple[int, int]:
    """Distinct free ports, for the node's AMQP listener and its Erlang distribution."""
    first, second = free_port(), free_port()
    while second == first:
        second = free_port()
    return first, second


@pytest.fixture(scope='module')
def rabbitmq() -> Iterator[private_rabbitmq.PrivateRabbitMQ]:
    """A private RabbitMQ node, running, that the module's tests may stop and start."""
    reason = private_rabbitmq.why_unavailable()
    if reason is not None:
        absent('no private RabbitMQ node: %s' % reason)
    node = private_rabbitmq.PrivateRabbitMQ.create(*two_free_ports())
    try:
        node.start()
        yield node
    finally:
        node.destroy()


@pytest.fixture
def broker(rabbitmq: private_rabbitmq.PrivateRabbitMQ) -> private_rabbitmq.PrivateRabbitMQ:
    """The private node with its broker running, whatever an earlier test left."""
    if not rabbitmq.app_running():
        rabbitmq.start_app()
    return rabbitmq


@pytest.mark.parametrize('database_url', ['sqlite'], indirect=True)
def test_services_reconnect_after_rabbitmq_restarts(
        database_url: str, database: Database, broker: private_rabbitmq.PrivateRabbitMQ,
        services: ServiceRunner) -> None:
    rabbit_url = broker.transport_url
    migration.sync(database)
    host = 'node-%s' % uuid.uuid4().hex[:8]
    services.write_config('[DEFAULT]\ntransport_url = %s\nhost = %s\nreport_interval = 1\n'
                          '[database]\nconnection = %s\n[conductor]\nworkers = 1\n'
                          % (rabbit_url, host, database_url))
    services.start('svcframe-conductor')
    compute = services.start('svcframe-compute')
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf([], project='svcframe-tests', default_config_files=[])
    conf.set_override('transport_url', rabbit_url)

    def report_count() -> int:
        record = database.service_get_by_host_and_binary(host, 'svcframe-compute')
        return record.report_count if record else 0

    wait_until(lambda: report_count() >= 2, timeout=60, what='compute heartbeats')

    broker.stop_app()
    try:
        stalled = report_count()
    finally:
        broker.start_app()

    transport = rpc.create_transport(conf)
    try:
        def answers(api) -> dict | None:
            try:
                return api.ping(context.get_admin_context(), host, timeout=3)
            except (messaging.MessagingTimeout, messaging.MessageDeliveryFailure):
                return None

        assert wait_until(lambda: answers(ComputeAPI(transport, conf)), timeout=30,
                          what='compute to answer after the restart')['host'] == host
        assert wait_until(lambda: answers(ConductorAPI(transport, conf)), timeout=30,
                          what='conductor to answer after the restart')['host'] == host
        wait_until(lambda: report_count() >= stalled + 2, timeout=30,
                   what='heartbeats through the conductor again')
    finally:
        transport.cleanup()
    assert compute.running()


def test_unreachable_broker_is_retried_and_sigterm_still_stops(
        services: ServiceRunner) -> None:
    services.write_config('[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:1/\n'
                          'compute_manager = recorder\n')
    compute = services.start('svcframe-compute')
    wait_until(lambda: compute.stdout.count('Connection failed') >= 2,
               what='two connection attempts')
    assert compute.running()

    compute.send(signal.SIGTERM)

    assert compute.wait(timeout=10) == 0
    assert 'Traceback' not in compute.stdout + compute.stderr
    assert services.events.of('cleanup_host')  # init_host had run
