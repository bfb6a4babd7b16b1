"""Prometheus metrics of every binary, with prometheus-client, when [metrics] port is set.

The metric names and labels are part of svcframe's contract
(doc/source/operators.rst, "Metrics"). Code that measures something calls
``metrics.current``: a Recorder that does nothing until ``enable()`` runs,
so that a process without metrics pays one attribute lookup per event.

Several workers share one endpoint through prometheus-client's multiprocess
mode: each process writes its values to files in one directory, and the
supervisor, which serves the endpoint, reads them all. The mode must be
chosen before prometheus_client is first imported, which is why this module
imports it only in enable().
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

from svcframe import config
from svcframe import exception
from svcframe import http_metrics

LOG = logging.getLogger(__name__)

MULTIPROCESS_ENV = 'PROMETHEUS_MULTIPROC_DIR'
BUCKETS = http_metrics.BUCKETS


class Off:
    """What ``current`` is while metrics are off: every call does nothing."""

    enabled = False

    def __getattr__(self, name: str) -> Any:
        return _nothing


def _nothing(*args: object, **kwargs: object) -> None:
    return None


class Recorder:
    """The metrics of this process; see doc/source/operators.rst for each."""

    enabled = True

    def __init__(self, binary: str, version: str, registry: Any = None) -> None:
        """``registry``: prometheus-client's global one by default."""
        import prometheus_client as prom
        self.binary = binary
        into = {'registry': registry} if registry is not None else {}
        # Measured on every request: see svcframe.http_metrics for why not
        # with prometheus-client's own metric objects.
        self.http = http_metrics.new_stats()
        if not os.environ.get(MULTIPROCESS_ENV):
            (registry or prom.REGISTRY).register(http_metrics.Collector(self.http))
        self.rpc_client_requests = prom.Counter(
            'svcframe_rpc_client_requests', 'RPC calls and casts sent.',
            ['topic', 'method', 'kind', 'outcome'], **into)
        self.rpc_client_duration = prom.Histogram(
            'svcframe_rpc_client_duration_seconds',
            'Time for an RPC call to be answered (a cast: to be sent).',
            ['topic', 'method'], buckets=BUCKETS, **into)
        self.rpc_server_requests = prom.Counter(
            'svcframe_rpc_server_requests', 'RPC requests handled.',
            ['topic', 'method', 'outcome'], **into)
        self.rpc_server_duration = prom.Histogram(
            'svcframe_rpc_server_duration_seconds', 'Time to handle an RPC request.',
            ['topic', 'method'], buckets=BUCKETS, **into)
        self.heartbeat_last_success = prom.Gauge(
            'svcframe_heartbeat_last_success_timestamp_seconds',
            'When the service last reported to the service registry (Unix time).',
            multiprocess_mode='max', **into)
        self.heartbeat_failures = prom.Counter(
            'svcframe_heartbeat_failures', 'Heartbeats that did not reach the registry.', **into)
        self.periodic_duration = prom.Histogram(
            'svcframe_periodic_task_duration_seconds', 'Time a periodic task ran.',
            ['task'], buckets=BUCKETS, **into)
        self.periodic_failures = prom.Counter(
            'svcframe_periodic_task_failures', 'Periodic task runs that raised.', ['task'], **into)
        self.services = prom.Gauge(
            'svcframe_services', 'Service records by binary and state (from the conductor).',
            ['binary', 'state'], multiprocess_mode='mostrecent', **into)
        self.instances = prom.Gauge(
            'svcframe_instances', 'Instances by state (from the conductor).',
            ['state'], multiprocess_mode='mostrecent', **into)
        self.worker_restarts = prom.Counter(
            'svcframe_worker_restarts', 'Workers the supervisor started again after they died.',
            ['binary'], **into)
        self.build_info = prom.Gauge(
            'svcframe_build_info', 'Always 1: the svcframe version this binary runs.',
            ['version', 'binary'], multiprocess_mode='max', **into)
        self.build_info.labels(version, binary).set(1)

    def rpc_sent(self, topic: str, method: str, kind: str, outcome: str,
                 seconds: float) -> None:
        self.rpc_client_requests.labels(topic, method, kind, outcome).inc()
        self.rpc_client_duration.labels(topic, method).observe(seconds)

    def rpc_handled(self, topic: str, method: str, outcome: str, seconds: float) -> None:
        self.rpc_server_requests.labels(topic, method, outcome).inc()
        self.rpc_server_duration.labels(topic, method).observe(seconds)

    def heartbeat(self, succeeded: bool, now: float) -> None:
        if succeeded:
            self.heartbeat_last_success.set(now)
        else:
            self.heartbeat_failures.inc()

    def periodic_task(self, task: str, seconds: float, failed: bool) -> None:
        self.periodic_duration.labels(task).observe(seconds)
        if failed:
            self.periodic_failures.labels(task).inc()

    def registry_counts(self, services: dict[tuple[str, str], int],
                        instances: dict[str, int]) -> None:
        self.services.clear()  # a state no service is in any more: no series
        for (binary, state), count in services.items():
            self.services.labels(binary, state).set(count)
        for state, count in instances.items():
            self.instances.labels(state).set(count)

    def worker_restarted(self) -> None:
        self.worker_restarts.labels(self.binary).inc()


current: Off | Recorder = Off()


def enable(conf: cfg.ConfigOpts, binary: str, workers: int) -> None:
    """Turn metrics on for this process, and its workers, when [metrics] port is set.

    With several workers, the values go to a fresh multiprocess directory,
    set in the environment before prometheus_client is imported.
    """
    global current
    if not conf.metrics.port or current.enabled:
        return
    if workers > 1:
        directory = tempfile.mkdtemp(prefix='svcframe-metrics-')
        os.environ[MULTIPROCESS_ENV] = directory
    current = Recorder(binary, config.version())


def serve(conf: cfg.ConfigOpts) -> None:
    """Serve /metrics on [metrics] listen:port, in a (green) thread; one endpoint
    for every worker in multiprocess mode."""
    if not current.enabled:
        return
    import prometheus_client as prom
    registry: Any = prom.REGISTRY
    if os.environ.get(MULTIPROCESS_ENV):
        from prometheus_client import multiprocess
        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(http_metrics.SnapshotCollector(os.environ[MULTIPROCESS_ENV]))
        prom.ProcessCollector(registry=registry)  # the supervisor's own process
    try:
        prom.start_http_server(conf.metrics.port, conf.metrics.listen, registry=registry)
    except OSError as error:
        raise exception.ServiceStartError(
            current.binary, 'cannot serve metrics on [metrics] listen = %s, port = %s: %s'
            % (conf.metrics.listen, conf.metrics.port, error.strerror or error)) from error
    LOG.info('Metrics on http://%s:%d/metrics', conf.metrics.listen, conf.metrics.port)


_snapshots: http_metrics.SnapshotWriter | None = None


def worker_started() -> None:
    """In a worker just forked: its HTTP series go to a file of its own (multiprocess mode)."""
    global _snapshots
    directory = os.environ.get(MULTIPROCESS_ENV)
    if current.enabled and directory:
        _snapshots = http_metrics.SnapshotWriter(current.http, directory)
        _snapshots.start()


def worker_stopping() -> None:
    """The worker's last HTTP snapshot, as it exits."""
    if _snapshots is not None:
        _snapshots.stop()


def worker_exited(pid: int) -> None:
    """Drop a dead worker's live gauges (multiprocess mode)."""
    directory = os.environ.get(MULTIPROCESS_ENV)
    if current.enabled and directory:
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(pid)
        http_metrics.worker_exited(directory, pid)
        current.worker_restarted()


def cleanup() -> None:
    """Remove the multiprocess directory, as the supervisor exits."""
    directory = os.environ.get(MULTIPROCESS_ENV)
    if current.enabled and directory and os.path.basename(directory).startswith(
            'svcframe-metrics-'):
        shutil.rmtree(directory, ignore_errors=True)
