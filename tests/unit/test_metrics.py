"""svcframe.metrics: nothing while off; route templates, outcomes and tasks while on."""

from __future__ import annotations

import oslo_messaging as messaging
import prometheus_client as prom
import pytest
from oslo_config import cfg
from oslo_service import periodic_task

from svcframe import context
from svcframe import manager
from svcframe import metrics
from svcframe import rpc


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> tuple[metrics.Recorder, prom.CollectorRegistry]:
    registry = prom.CollectorRegistry()
    on = metrics.Recorder('svcframe-test', '1.2.3', registry=registry)
    monkeypatch.setattr(metrics, 'current', on)
    return on, registry


def sample(registry: prom.CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_off_does_nothing_and_enable_needs_a_port(conf: cfg.ConfigOpts) -> None:
    assert metrics.current.enabled is False
    assert metrics.current.rpc_handled('conductor', 'ping', 'ok', 0.1) is None

    metrics.enable(conf, 'svcframe-test', workers=1)  # [metrics] port = 0

    assert metrics.current.enabled is False


class Sender:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def prepare(self, **kwargs: object) -> 'Sender':
        return self

    def call(self, ctxt: object, method: str, **kwargs: object) -> str:
        if self.error:
            raise self.error
        return 'answer'

    cast = call


def test_rpc_calls_and_casts_are_counted_by_outcome(recorder) -> None:
    _, registry = recorder
    ok = rpc.MeasuredClient(Sender(), 'conductor')
    assert ok.prepare(version='1.1').call({}, 'host_states') == 'answer'
    ok.cast({}, 'build_instance')
    for error in (messaging.MessagingTimeout('slow'), messaging.MessageDeliveryFailure('x')):
        with pytest.raises(type(error)):
            rpc.MeasuredClient(Sender(error), 'conductor').call({}, 'host_states')

    total = 'svcframe_rpc_client_requests_total'
    assert [sample(registry, total, topic='conductor', method='host_states', kind='call',
                   outcome=outcome) for outcome in ('ok', 'timeout', 'error')] == [1, 1, 1]
    assert sample(registry, total, topic='conductor', method='build_instance', kind='cast',
                  outcome='ok') == 1


class Ticking(manager.Manager):
    @periodic_task.periodic_task(spacing=1, run_immediately=True)
    def tick(self, ctxt: object) -> None:
        pass

    @periodic_task.periodic_task(spacing=1, run_immediately=True)
    def broken(self, ctxt: object) -> None:
        raise RuntimeError('always')


def test_periodic_tasks_are_timed_and_their_failures_counted(
        recorder, conf: cfg.ConfigOpts) -> None:
    _, registry = recorder

    Ticking(host='h', service_name='t', conf=conf).periodic_tasks(
        context.get_admin_context())

    assert sample(registry, 'svcframe_periodic_task_duration_seconds_count', task='tick') == 1
    assert sample(registry, 'svcframe_periodic_task_failures_total', task='broken') == 1
    assert sample(registry, 'svcframe_periodic_task_failures_total', task='tick') is None


def test_service_counts_drop_states_no_service_is_in_any_more(recorder) -> None:
    on, registry = recorder
    on.registry_counts({('svcframe-compute', 'up'): 2}, {'active': 1})
    on.registry_counts({('svcframe-compute', 'down'): 2}, {'active': 0})

    assert sample(registry, 'svcframe_services', binary='svcframe-compute', state='up') is None
    assert sample(registry, 'svcframe_services', binary='svcframe-compute', state='down') == 2
    assert sample(registry, 'svcframe_build_info', version='1.2.3',
                  binary='svcframe-test') == 1
