"""The example plugin of examples/acme-echo, installed by pip, run by svcframe-compute.

What doc/source/plugins.rst promises a plugin author: install the package,
set ``compute_manager``, and the real binary runs the manager, its RPC
methods reachable over RabbitMQ and its options read from the config file.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from svcframe import context
from svcframe import rpc
from svcframe.db.api import Database
from svcframe.testing import RPCTopicClient, make_conf
from tests.integration.conftest import (ROOT, ServiceRunner, install_plugin, service_runner,
                                        wait_until)

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

EXAMPLE_SOURCE = ROOT / 'examples' / 'acme-echo'


@pytest.fixture(scope='module')
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding acme-echo, installed by pip from its source."""
    target = tmp_path_factory.mktemp('example') / 'site'
    install_plugin(EXAMPLE_SOURCE, target)
    return target


@pytest.fixture
def runner(tmp_path: Path, example_site: Path, backend_name: str) -> Iterator[ServiceRunner]:
    yield from service_runner(tmp_path, example_site, backend_name)


@pytest.fixture
def client(tmp_path: Path, rabbit_url: str) -> Iterator[RPCTopicClient]:
    """A client of topic compute on the test's RabbitMQ vhost."""
    conf = make_conf(tmp_path / 'client', {'DEFAULT': {'transport_url': rabbit_url}})
    transport = rpc.create_transport(conf)
    yield RPCTopicClient(transport, conf, 'compute', timeout=10)
    transport.cleanup()


def write_config(runner: ServiceRunner, rabbit_url: str, host: str, prefix: str) -> str:
    database_url = 'sqlite:///%s' % (runner.tmp_path / 'svcframe.sqlite')
    runner.write_config(
        '[DEFAULT]\ntransport_url = %s\nhost = %s\ncompute_manager = acme_echo\n'
        'report_interval = 1\n[database]\nconnection = %s\n[conductor]\nworkers = 1\n'
        '[acme_echo]\nprefix = %s\n' % (rabbit_url, host, database_url, prefix))
    return database_url


def echo(client: RPCTopicClient, host: str, text: str,
         ctx: context.RequestContext | None = None) -> dict | None:
    """The manager's answer, or None while compute's consumer is not bound yet."""
    try:
        return client.call(ctx or context.get_admin_context(), 'echo', host=host, text=text)
    except messaging.MessagingTimeout:
        return None


def test_svcframe_compute_runs_the_example_and_answers_its_rpc_over_rabbitmq(
        runner: ServiceRunner, rabbit_url: str, client: RPCTopicClient) -> None:
    host = 'echo-%s' % uuid.uuid4().hex[:8]
    database_url = write_config(runner, rabbit_url, host, 'from-config:')
    sync = runner.run('svcframe-manage', 'db', 'sync')
    assert sync.returncode == 0, sync.stderr
    runner.start('svcframe-conductor')
    compute = runner.start('svcframe-compute')
    ctx = context.RequestContext(request_id='req-%s' % uuid.uuid4(), overwrite=False)

    answer = wait_until(lambda: echo(client, host, 'hello', ctx), timeout=60,
                        what='the example manager to answer')

    assert answer == {'text': 'from-config:hello', 'host': host,
                      'request_id': ctx.request_id}
    # The example's own caller, as its README runs it.
    called = subprocess.run(
        [sys.executable, '-m', 'acme_echo.call', '--config-file', str(runner.config_path),
         'from the shell'], env=runner.env(), capture_output=True, text=True, timeout=60)
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout)['text'] == 'from-config:from the shell'
    ticks = wait_until(
        lambda: client.call(context.get_admin_context(), 'ticks', host=host)['count'],
        what='the periodic task to run')
    assert ticks >= 1
    # compute reports through the conductor, which writes the registry.
    database = Database(_conf_with_database(runner.tmp_path, database_url))
    try:
        wait_until(lambda: database.service_get_by_host_and_binary(host, 'svcframe-compute'),
                   timeout=30, what='compute in the registry')
    finally:
        database.close()

    compute.send(signal.SIGTERM)
    assert compute.wait(timeout=30) == 0


def test_a_mutable_option_of_the_example_follows_sighup(
        runner: ServiceRunner, rabbit_url: str, client: RPCTopicClient) -> None:
    host = 'echo-%s' % uuid.uuid4().hex[:8]
    write_config(runner, rabbit_url, host, 'before:')
    assert runner.run('svcframe-manage', 'db', 'sync').returncode == 0
    runner.start('svcframe-conductor')
    compute = runner.start('svcframe-compute')
    first = wait_until(lambda: echo(client, host, 'x'), timeout=60,
                       what='the example manager to answer')
    assert first['text'] == 'before:x'

    write_config(runner, rabbit_url, host, 'after:')
    compute.send(signal.SIGHUP)

    wait_until(lambda: (echo(client, host, 'x') or {}).get('text') == 'after:x',
               what='the reloaded prefix')
    assert compute.running()


def _conf_with_database(tmp_path: Path, database_url: str) -> cfg.ConfigOpts:
    return make_conf(tmp_path / 'reader', {'database': {'connection': database_url}})
