"""Heartbeat scale: 1,000 simulated compute services reporting to one svcframe-conductor.

Run from the repository root, with RabbitMQ on 127.0.0.1:5672 and PostgreSQL
on 127.0.0.1:5432:

    .venv/bin/python bench/heartbeats.py

One ``svcframe-conductor`` process (``[conductor] workers = 1``) on a
RabbitMQ vhost and a PostgreSQL database of the run's own. This process
plays the compute services, as ``svcframe.servicegroup.Heartbeat`` does
through ``ConductorAPI``: each registers once and reports at once, then
reports every ``report_interval`` seconds, the reports of all of them spread
evenly over the interval and sent from a thread pool. Meanwhile it reads the
services table every few seconds and counts the services it finds down with
``servicegroup.is_up``: every one is reporting, so each is a false down.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import dataclasses
import os
import subprocess
import tempfile
import threading
import time
import warnings
from pathlib import Path

# svcframe's modules import eventlet, which prints a deprecation notice when
# imported; svcframe's binaries silence it the same way (cmd/eventlet_patch.py).
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import oslo_messaging as messaging  # noqa: E402
from oslo_config import cfg  # noqa: E402

import harness  # noqa: E402
from svcframe import rpc  # noqa: E402
from svcframe import servicegroup  # noqa: E402
from svcframe.context import RequestContext, get_admin_context  # noqa: E402
from svcframe.db import migration  # noqa: E402
from svcframe.db import models  # noqa: E402
from svcframe.db.api import Database  # noqa: E402
from svcframe.rpcapi.conductor import ConductorAPI  # noqa: E402

SCRIPT = 'heartbeats.py'
CONDUCTOR_HOST = 'bench-conductor'
BINARY = 'svcframe-compute'
TOPIC = 'compute'
SERVICE_DOWN_TIME = 60
READY_TIMEOUT = 60.0


@dataclasses.dataclass
class Beats:
    """What the heartbeats of the simulated services met."""

    latencies: list[float] = dataclasses.field(default_factory=list)
    # Seconds from when a report was due to when it was sent: a client
    # that falls behind would hide a slow conductor.
    lateness: list[float] = dataclasses.field(default_factory=list)
    errors: collections.Counter = dataclasses.field(default_factory=collections.Counter)


@dataclasses.dataclass
class Downs:
    """What the polls of the services table saw."""

    polls: int = 0
    false_downs: int = 0  # (poll, service) pairs where a reporting service was down
    services_down: set[str] = dataclasses.field(default_factory=set)
    missing: int = 0  # (poll, service) pairs where its record was not there
    oldest_seconds: float = 0.0  # the longest time since a heartbeat, over all polls
    failed: collections.Counter = dataclasses.field(default_factory=collections.Counter)


# --- the simulated services -----------------------------------------------

def register_all(api: ConductorAPI, context: RequestContext, hosts: list[str],
                 pool: concurrent.futures.Executor) -> list[int]:
    """Register every host and report once, as Heartbeat.beat() does first."""
    def register(host: str) -> int:
        service_id = api.service_register(context, host, BINARY, TOPIC)
        api.service_report(context, service_id)
        return service_id
    return list(pool.map(register, hosts))


def send_heartbeats(api: ConductorAPI, context: RequestContext, service_ids: list[int],
                    interval: float, seconds: float,
                    pool: concurrent.futures.Executor) -> Beats:
    """Each service reports every ``interval`` s, the services spread evenly over it."""
    beats = Beats()

    def beat(service_id: int, due: float) -> None:
        sent = time.monotonic()
        beats.lateness.append(sent - due)
        try:
            found = api.service_report(context, service_id)
        except Exception as error:  # noqa: BLE001 - counted, the heartbeats go on
            beats.errors[type(error).__name__] += 1
            return
        beats.latencies.append(time.monotonic() - sent)
        if not found:
            beats.errors['record not found'] += 1

    step = interval / len(service_ids)
    started = time.monotonic()
    futures = []
    for index in range(int(seconds / step)):
        due = started + index * step
        time.sleep(max(0.0, due - time.monotonic()))
        futures.append(pool.submit(beat, service_ids[index % len(service_ids)], due))
    concurrent.futures.wait(futures)
    return beats


# --- the observer -----------------------------------------------------------

class Poller:
    """Reads the services table every ``interval`` s in a thread, as the API would."""

    def __init__(self, database: Database, conf: cfg.ConfigOpts, hosts: set[str],
                 interval: float) -> None:
        self.database = database
        self.conf = conf
        self.hosts = hosts
        self.interval = interval
        self.downs = Downs()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> Downs:
        self._stop.set()
        self._thread.join()
        return self.downs

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception as error:  # noqa: BLE001 - reported; the polls go on
                self.downs.failed[type(error).__name__] += 1

    def poll(self) -> None:
        services = {s.host: s for s in self.database.service_get_all(binary=BINARY)
                    if s.host in self.hosts}
        now = models.utcnow()
        self.downs.polls += 1
        self.downs.missing += len(self.hosts) - len(services)
        for host, service in services.items():
            if not servicegroup.is_up(service, self.conf, now):
                self.downs.false_downs += 1
                self.downs.services_down.add(host)
            if service.last_seen_up is not None:
                age = (now - service.last_seen_up).total_seconds()
                self.downs.oldest_seconds = max(self.downs.oldest_seconds, age)


# --- the conductor ----------------------------------------------------------

def start_conductor(stack: contextlib.ExitStack, scratch: Path, url: str, db_url: str,
                    interval: int) -> subprocess.Popen:
    config = harness.write_config(scratch / 'conductor.conf', {
        'DEFAULT': {'transport_url': url, 'host': CONDUCTOR_HOST,
                    'report_interval': interval, 'debug': False},
        'database': {'connection': db_url},
        'conductor': {'workers': 1},
    })
    return stack.enter_context(harness.running(
        harness.svcframe_binary('svcframe-conductor', config), scratch, 'conductor'))


def wait_for_conductor(api: ConductorAPI, context: RequestContext, process: subprocess.Popen,
                       output: Path) -> None:
    def answered() -> bool:
        try:
            api.ping(context, CONDUCTOR_HOST, timeout=2.0)
            return True
        except messaging.MessagingTimeout:
            return False
    harness.wait_until(answered, process, output, 'svcframe-conductor answering ping',
                       timeout=READY_TIMEOUT)


# --- report -----------------------------------------------------------------

def print_report(args: argparse.Namespace, registration_seconds: float, beats: Beats,
                 seconds: float, conductor_cpu: float, bench_cpu: float,
                 downs: Downs) -> None:
    ms = [latency * 1000 for latency in beats.latencies]
    late = [lateness * 1000 for lateness in beats.lateness]
    print('%d simulated %s services, report_interval %d s, %.0f s measured, %d client '
          'threads; svcframe-conductor ([conductor] workers = 1) on RabbitMQ and '
          'PostgreSQL, all on 127.0.0.1, %d CPUs' % (
              args.services, BINARY, args.report_interval, seconds, args.threads,
              os.cpu_count() or 0))
    print()
    print('registration: %d x (service_register + service_report) in %.1f s'
          % (args.services, registration_seconds))
    print()
    print('%-18s %7s %7s %7s %7s %7s %7s %12s' % (
        'service_report', 'calls', 'per s', 'errors', 'p50 ms', 'p99 ms', 'max ms',
        'late p99 ms'))
    print('%-18s %7d %7.1f %7d %7.2f %7.2f %7.2f %12.2f' % (
        'heartbeat calls', len(ms), len(ms) / seconds, sum(beats.errors.values()),
        harness.percentile(ms, 50), harness.percentile(ms, 99), max(ms, default=0),
        harness.percentile(late, 99)))
    for error, count in beats.errors.most_common(3):
        print('  error: %d x %s' % (count, error))
    print()
    print('conductor CPU: %.1f %% of one core (%.2f s user+system over %.1f s)'
          % (conductor_cpu / seconds * 100, conductor_cpu, seconds))
    print('this process (the simulated services and the poller): %.1f %% of one core'
          % (bench_cpu / seconds * 100))
    print('services table: %d polls every %.0f s; false downs %d (services ever seen down: '
          '%d); records missing %d; longest since a heartbeat %.1f s (down after %d s)'
          % (downs.polls, args.poll_interval, downs.false_downs, len(downs.services_down),
             downs.missing, downs.oldest_seconds, SERVICE_DOWN_TIME))
    for error, count in downs.failed.most_common(3):
        print('  failed poll: %d x %s' % (count, error))
    print()
    met = downs.false_downs == 0 and downs.missing == 0 and downs.polls > 0
    print('%-44s %6s %9s  %s' % ('goal', 'value', 'target', 'result'))
    print('%-44s %6d %9s  %s' % ('false downs', downs.false_downs, '== 0',
                                 'PASS' if met else 'MISS'))


# --- main -------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--services', type=int, default=1000,
                        help='simulated compute services (default 1000)')
    parser.add_argument('--report-interval', type=int, default=10,
                        help='seconds between two reports of one service (default 10)')
    parser.add_argument('--duration', type=float, default=60.0,
                        help='measured seconds of heartbeats, after registration (default 60)')
    parser.add_argument('--threads', type=int, default=50,
                        help='client threads sending the reports (default 50)')
    parser.add_argument('--poll-interval', type=float, default=5.0,
                        help='seconds between two reads of the services table (default 5)')
    return parser.parse_args()


def run(args: argparse.Namespace) -> None:
    with harness.rabbit_vhost('svcframe-bench-heartbeats') as url, \
            harness.postgres_database('svcframe_bench_heartbeats') as db_url, \
            tempfile.TemporaryDirectory(prefix='svcframe-bench-heartbeats-') as scratch, \
            contextlib.ExitStack() as stack:
        conf = harness.make_conf(
            DEFAULT={'transport_url': url, 'service_down_time': SERVICE_DOWN_TIME},
            database={'connection': db_url})
        database = Database(conf)
        stack.callback(database.close)
        migration.sync(database)
        harness.progress(SCRIPT, 'starting svcframe-conductor on %s' % url)
        conductor = start_conductor(stack, Path(scratch), url, db_url, args.report_interval)
        transport = rpc.create_transport(conf)
        stack.callback(transport.cleanup)
        # The timeout a compute service's heartbeat uses (Service._default_registry).
        api = ConductorAPI(transport, conf, timeout=args.report_interval)
        context = get_admin_context()
        wait_for_conductor(api, context, conductor, Path(scratch) / 'conductor.out')

        pool = concurrent.futures.ThreadPoolExecutor(args.threads)
        stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        hosts = ['sim-%05d' % index for index in range(args.services)]
        harness.progress(SCRIPT, 'registering %d services' % args.services)
        registering = time.monotonic()
        service_ids = register_all(api, context, hosts, pool)
        registration_seconds = time.monotonic() - registering

        harness.progress(SCRIPT, 'heartbeats for %.0f s' % args.duration)
        poller = Poller(database, conf, set(hosts), args.poll_interval)
        poller.start()
        stack.callback(poller.stop)
        cpu_before = harness.cpu_seconds(conductor.pid), harness.own_cpu_seconds()
        started = time.monotonic()
        beats = send_heartbeats(api, context, service_ids, args.report_interval,
                                args.duration, pool)
        seconds = time.monotonic() - started
        conductor_cpu = harness.cpu_seconds(conductor.pid) - cpu_before[0]
        bench_cpu = harness.own_cpu_seconds() - cpu_before[1]
        downs = poller.stop()
    print_report(args, registration_seconds, beats, seconds, conductor_cpu, bench_cpu, downs)


def main() -> None:
    args = parse_args()
    harness.main_guard(SCRIPT, lambda: run(args))


if __name__ == '__main__':
    main()
