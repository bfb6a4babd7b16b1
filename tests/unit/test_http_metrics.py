"""svcframe.http_metrics: the same series prometheus-client's own objects give, per worker summed."""

from __future__ import annotations

import json
from pathlib import Path

import prometheus_client as prom
import pytest

from svcframe import http_metrics

# On a bucket's bound, just past one, and past the last (+Inf only).
SECONDS = (0.001, 0.0011, 0.02, 0.02, 0.7, 40.0)


def collected(*collectors: object) -> dict[tuple[str, frozenset], float]:
    registry = prom.CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in registry.collect() for sample in family.samples}


@pytest.mark.parametrize('stats_class', [http_metrics.HTTPStats,
                                         http_metrics.ThreadSafeHTTPStats])
def test_the_histogram_is_the_one_prometheus_client_would_give(stats_class: type) -> None:
    stats = stats_class()
    reference = prom.Histogram('svcframe_http_request_duration_seconds', 'Time.',
                               ['method', 'route'], buckets=http_metrics.BUCKETS,
                               registry=None)
    for index, seconds in enumerate(SECONDS):
        # Two statuses of one route: one histogram series.
        stats.request_finished('GET', '/v1/things', 200 if index % 2 else 404, seconds)
        reference.labels('GET', '/v1/things').observe(seconds)

    ours = collected(http_metrics.Collector(stats))
    theirs = collected(reference)
    histogram = {key: value for key, value in theirs.items() if not key[0].endswith('_created')}
    assert histogram  # the comparison below compares something
    for key, value in histogram.items():
        assert ours[key] == pytest.approx(value), key  # a sum, added in another order
    requests = 'svcframe_http_requests_total'
    assert ours[(requests, frozenset(
        {'method': 'GET', 'route': '/v1/things', 'status': '200'}.items()))] == 3
    assert ours[(requests, frozenset(
        {'method': 'GET', 'route': '/v1/things', 'status': '404'}.items()))] == 3


def test_in_flight_is_asked_of_the_server_at_each_scrape() -> None:
    stats = http_metrics.HTTPStats()
    busy = [0]
    stats.count_in_flight = lambda: busy[0]
    collector = http_metrics.Collector(stats)
    in_flight = ('svcframe_http_requests_in_flight', frozenset())

    assert collected(collector)[in_flight] == 0
    busy[0] = 3
    assert collected(collector)[in_flight] == 3


def worker_stats(in_flight: int, *statuses: int) -> http_metrics.HTTPStats:
    stats = http_metrics.HTTPStats()
    stats.count_in_flight = lambda: in_flight
    for status in statuses:
        stats.request_finished('POST', '/v1/instances', status, 0.01)
    return stats


def test_workers_snapshots_add_up_and_a_dead_worker_keeps_its_counts_not_its_in_flight(
        tmp_path: Path, monkeypatch) -> None:
    writers = []
    for pid, stats in ((101, worker_stats(2, 202, 202)), (102, worker_stats(1, 202, 400))):
        monkeypatch.setattr('os.getpid', lambda pid=pid: pid)
        writers.append(http_metrics.SnapshotWriter(stats, str(tmp_path)))
    for writer in writers:
        writer.write()
    collector = http_metrics.SnapshotCollector(str(tmp_path))
    accepted = ('svcframe_http_requests_total', frozenset(
        {'method': 'POST', 'route': '/v1/instances', 'status': '202'}.items()))
    in_flight = ('svcframe_http_requests_in_flight', frozenset())

    assert collected(collector)[accepted] == 3
    assert collected(collector)[in_flight] == 3

    http_metrics.worker_exited(str(tmp_path), 101)

    assert collected(collector)[accepted] == 3
    assert collected(collector)[in_flight] == 1
    assert sorted(path.name.split('_')[1] for path in tmp_path.iterdir()) == ['101', '102']


def test_a_stopping_worker_writes_its_last_requests(tmp_path: Path) -> None:
    stats = worker_stats(0, 200)
    writer = http_metrics.SnapshotWriter(stats, str(tmp_path))
    writer.start()
    stats.request_finished('GET', '/', 200, 0.001)  # after the first write, maybe

    writer.stop()

    snapshot = json.loads(Path(writer.path).read_text())
    assert sum(series[3] for series in snapshot['series']) == 2
    assert not list(tmp_path.glob('*.partial'))


def test_native_threads_get_the_stats_with_a_lock() -> None:
    # The unit tests run without monkey patching: native threads.
    assert type(http_metrics.new_stats()) is http_metrics.ThreadSafeHTTPStats
