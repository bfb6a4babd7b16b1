"""The HTTP series of svcframe.metrics, kept in plain Python structures.

Every request updates them, so they cost a dictionary lookup and a few
additions under one lock, where prometheus-client's Counter, Histogram and
Gauge took six locked updates through several layers of calls: 15% of a
trivial request's time with the shipped pipeline (bench/http_bench.py,
svcframe-1-metrics). prometheus-client reads them only when scraped,
through a collector that gives the same series the library's metric
objects would.

With several workers, each writes a snapshot of its own to the
multiprocess directory every second, and the supervisor's collector adds
them up: a scrape may miss the last second of a worker's requests, and a
worker killed outright loses that second.
"""

from __future__ import annotations

import bisect
import glob
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from svcframe import backend

# Where the app notes the route template of a request (svcframe.api.urlmap
# and router): the metrics' ``route`` label.
ROUTE_KEY = 'svcframe.route'
UNMATCHED = '(unmatched)'

# Seconds: from a fast static route to a slow RPC call.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SNAPSHOT_SECONDS = 1.0
# One file per worker: its pid, and when it started (a pid can be reused).
SNAPSHOT_NAME = 'http_%d_%d.json'
SNAPSHOT_PATTERN = 'http_%d_*.json'

# (method, route, status) -> [count, sum of seconds, count per bucket..., count over the last]
Series = dict[tuple[str, str, int], list]


class HTTPStats:
    """The requests one process answered, and those it is answering.

    Without a lock: green threads switch only where they wait, and nothing
    here waits. ThreadSafeHTTPStats is for native threads.
    """

    def __init__(self) -> None:
        self.series: Series = {}
        # Set by the server that answers them: no cost per request.
        self.count_in_flight: Callable[[], int] = lambda: 0

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        counts = self.series.get(key)
        if counts is None:
            counts = self.series[key] = [0, 0.0] + [0] * (len(BUCKETS) + 1)
        counts[0] += 1
        counts[1] += seconds
        counts[2 + bisect.bisect_left(BUCKETS, seconds)] += 1

    def snapshot(self) -> dict[str, Any]:
        """What a collector needs, as JSON can hold it."""
        series = [[*key, *counts] for key, counts in self.series.items()]
        return {'in_flight': self.count_in_flight(), 'series': series}


class ThreadSafeHTTPStats(HTTPStats):
    """HTTPStats for requests answered in native threads, which switch anywhere."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            super().request_finished(method, route, status, seconds)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return super().snapshot()


def new_stats() -> HTTPStats:
    """The HTTPStats for this process's threads: green once eventlet patched it."""
    if backend.current() == backend.EVENTLET:
        return HTTPStats()
    return ThreadSafeHTTPStats()


def families(snapshots: list[dict[str, Any]]) -> Iterator[Any]:
    """The three HTTP metric families, summed over ``snapshots``."""
    from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                        HistogramMetricFamily)
    from prometheus_client.utils import floatToGoString

    requests = CounterMetricFamily('svcframe_http_requests', 'HTTP requests answered.',
                                   labels=['method', 'route', 'status'])
    duration = HistogramMetricFamily('svcframe_http_request_duration_seconds',
                                     'Time to answer an HTTP request.',
                                     labels=['method', 'route'])
    by_status: dict[tuple[str, str, int], int] = {}
    by_route: dict[tuple[str, str], list] = {}
    for snapshot in snapshots:
        for method, route, status, count, seconds, *buckets in snapshot['series']:
            key = (method, route, status)
            by_status[key] = by_status.get(key, 0) + count
            totals = by_route.setdefault((method, route), [0.0] + [0] * len(buckets))
            totals[0] += seconds
            for index, bucket_count in enumerate(buckets):
                totals[1 + index] += bucket_count
    for (method, route, status), count in sorted(by_status.items()):
        requests.add_metric([method, route, str(status)], count)
    bounds = [floatToGoString(bound) for bound in BUCKETS] + ['+Inf']
    for (method, route), (seconds, *buckets) in sorted(by_route.items()):
        cumulative, running = [], 0
        for bound, bucket_count in zip(bounds, buckets):
            running += bucket_count
            cumulative.append((bound, running))
        duration.add_metric([method, route], cumulative, seconds)
    in_flight = GaugeMetricFamily('svcframe_http_requests_in_flight',
                                  'HTTP requests being answered.',
                                  value=sum(snapshot['in_flight'] for snapshot in snapshots))
    return iter((requests, duration, in_flight))


class Collector:
    """This process's HTTP series, read at each scrape."""

    def __init__(self, stats: HTTPStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Any]:
        return families([self.stats.snapshot()])


class SnapshotCollector:
    """Every worker's HTTP series, from the snapshots in the multiprocess directory."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def collect(self) -> Iterator[Any]:
        return families(read_snapshots(glob.glob(os.path.join(self.directory, 'http_*.json'))))


def read_snapshots(paths: list[str]) -> list[dict[str, Any]]:
    snapshots = []
    for path in paths:
        try:
            with open(path) as snapshot:
                snapshots.append(json.load(snapshot))
        except FileNotFoundError:
            continue  # replaced between glob and open: the next scrape reads it
    return snapshots


class SnapshotWriter:
    """Writes a worker's snapshot every SNAPSHOT_SECONDS, and once more as it stops."""

    def __init__(self, stats: HTTPStats, directory: str) -> None:
        self.stats = stats
        self.path = os.path.join(directory, SNAPSHOT_NAME % (os.getpid(), time.time_ns()))
        self._written: str | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name='http-metrics', daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self.write()

    def _run(self) -> None:
        while not self._stopped.wait(SNAPSHOT_SECONDS):
            self.write()

    def write(self) -> None:
        text = json.dumps(self.stats.snapshot())
        if text != self._written:
            write_atomically(self.path, text)
            self._written = text


def worker_exited(directory: str, pid: int) -> None:
    """A dead worker answers nothing: its counts stay, its in-flight requests go."""
    for path in glob.glob(os.path.join(directory, SNAPSHOT_PATTERN % pid)):
        snapshot = read_snapshots([path])
        if snapshot and snapshot[0]['in_flight']:
            write_atomically(path, json.dumps(dict(snapshot[0], in_flight=0)))


def write_atomically(path: str, text: str) -> None:
    """Readers see the old snapshot or the new one, never half of one."""
    partial = path + '.partial'
    with open(partial, 'w') as snapshot:
        snapshot.write(text)
    os.replace(partial, path)
