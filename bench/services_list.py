"""GET /v1/services with 10,000 records: svcframe-api against the bare query.

Run from the repository root, with PostgreSQL on 127.0.0.1:5432:

    .venv/bin/python bench/services_list.py

Creates a PostgreSQL database of the run's own, syncs its schema and inserts
10,000 service records in one bulk INSERT; starts ``svcframe-api`` (one
worker, the repository's paste pipeline) on it, and times sequential
``GET /v1/services``, each on a new connection, after one warm-up. The
reference is the query the API runs, ``Database.service_get_all()``, timed
in this process on the same database in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import json
import os
import re
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

# svcframe's modules import eventlet, which prints a deprecation notice when
# imported; svcframe's binaries silence it the same way (cmd/eventlet_patch.py).
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import sqlalchemy as sa  # noqa: E402

import harness  # noqa: E402
from svcframe.db import migration  # noqa: E402
from svcframe.db import models  # noqa: E402
from svcframe.db.api import Database  # noqa: E402

SCRIPT = 'services_list.py'
PATH = '/v1/services'
GOAL_MS = 250.0
REQUEST_TIMEOUT = 120.0


@dataclasses.dataclass
class Timing:
    name: str
    seconds: list[float]
    cpu_seconds: float  # of the process that did the work, over all the samples
    size: int | None = None  # response bytes

    def ms(self, q: float) -> float:
        return harness.percentile(self.seconds, q) * 1000

    @property
    def cpu_ms_per_sample(self) -> float:
        return self.cpu_seconds / len(self.seconds) * 1000


# --- the data ---------------------------------------------------------------

def insert_services(database: Database, count: int) -> None:
    """``count`` compute services, up, one in a hundred disabled, in one INSERT."""
    now = models.utcnow()
    rows = [{'uuid': str(uuid.uuid4()), 'host': 'node-%05d' % index,
             'binary': 'svcframe-compute', 'topic': 'compute',
             'report_count': index % 997, 'disabled': index % 100 == 0,
             'disabled_reason': 'maintenance' if index % 100 == 0 else None,
             'forced_down': False, 'last_seen_up': now, 'version': 0,
             'created_at': now, 'updated_at': now, 'deleted': 0}
            for index in range(count)]
    with database.session() as session, session.begin():
        session.execute(sa.insert(models.Service), rows)


# --- svcframe-api -----------------------------------------------------------

def start_api(stack: contextlib.ExitStack, scratch: Path, db_url: str) -> tuple[int, int]:
    """svcframe-api on a port of its choice; its pid and the port it logged."""
    config = harness.write_config(scratch / 'api.conf', {
        'DEFAULT': {'debug': False},
        # One page of every record: the goal is the whole list in one answer.
        'api': {'port': 0, 'workers': 1, 'max_limit': 100000},
        'wsgi': {'api_paste_config': harness.PASTE},
        'database': {'connection': db_url},
    })
    process = stack.enter_context(harness.running(
        harness.svcframe_binary('svcframe-api', config), scratch, 'api'))
    return process.pid, logged_port(process, scratch / 'api.out')


def logged_port(process: subprocess.Popen, output: Path) -> int:
    def port() -> int | None:
        match = re.search(r'listening on http://[^ ]*:(\d+)', output.read_text(errors='replace'))
        return int(match.group(1)) if match else None
    return harness.wait_until(port, process, output, 'svcframe-api to listen')


def get(port: int) -> bytes:
    """One GET on a new connection, as a command-line client makes it."""
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request('GET', PATH)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise harness.BenchError('GET %s answered %d: %s' % (PATH, response.status,
                                                             body[:300]))
    return body


def check_listing(body: bytes, count: int) -> None:
    listed = len(json.loads(body)['services'])
    if listed != count:
        raise harness.BenchError('GET %s listed %d services, not %d' % (PATH, listed, count))


# --- timing -----------------------------------------------------------------

def time_calls(name: str, call: Callable[[], object], times: int,
               cpu: Callable[[], float]) -> Timing:
    """``times`` sequential calls after one warm-up; the wall time of each and ``cpu()`` used."""
    call()
    seconds = []
    cpu_before = cpu()
    for _ in range(times):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return Timing(name, seconds, cpu() - cpu_before)


# --- report -----------------------------------------------------------------

def print_report(args: argparse.Namespace, insert_seconds: float, reference: Timing,
                 api: Timing) -> None:
    print('%d service records in PostgreSQL (bulk insert %.1f s); %d sequential calls '
          'after one warm-up, all on 127.0.0.1, %d CPUs' % (
              args.services, insert_seconds, args.requests, os.cpu_count() or 0))
    print()
    print('%-36s %8s %8s %8s %6s %10s %9s' % ('', 'p50 ms', 'p99 ms', 'max ms', 'ratio',
                                            'CPU ms/op', 'bytes'))
    for timing in (reference, api):
        print('%-36s %8.1f %8.1f %8.1f %6.2f %10.1f %9s' % (
            timing.name, timing.ms(50), timing.ms(99), timing.ms(100),
            timing.ms(50) / reference.ms(50), timing.cpu_ms_per_sample,
            '-' if timing.size is None else timing.size))
    print('(ratio: p50 / the reference\'s p50; CPU: of this process for the query, '
          'of svcframe-api for the GET)')
    print()
    p99 = api.ms(99)
    print('%-44s %8s %9s  %s' % ('goal', 'value', 'target', 'result'))
    print('%-44s %8.1f %9s  %s' % ('GET %s p99 ms' % PATH, p99, '< %.0f' % GOAL_MS,
                                   'PASS' if p99 < GOAL_MS else 'MISS'))


# --- main -------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--services', type=int, default=10000,
                        help='service records in the database (default 10000)')
    parser.add_argument('--requests', type=int, default=20,
                        help='timed GETs, and timed queries of the reference (default 20)')
    return parser.parse_args()


def run(args: argparse.Namespace) -> None:
    with harness.postgres_database('svcframe_bench_services') as db_url, \
            tempfile.TemporaryDirectory(prefix='svcframe-bench-services-') as scratch, \
            contextlib.ExitStack() as stack:
        database = Database(harness.make_conf(database={'connection': db_url}))
        stack.callback(database.close)
        migration.sync(database)
        harness.progress(SCRIPT, 'inserting %d services' % args.services)
        inserting = time.monotonic()
        insert_services(database, args.services)
        insert_seconds = time.monotonic() - inserting

        harness.progress(SCRIPT, 'timing Database.service_get_all()')
        reference = time_calls('Database.service_get_all() (ref)',
                               database.service_get_all, args.requests,
                               harness.own_cpu_seconds)
        harness.progress(SCRIPT, 'starting svcframe-api')
        pid, port = start_api(stack, Path(scratch), db_url)
        body = get(port)
        check_listing(body, args.services)
        harness.progress(SCRIPT, 'timing GET %s' % PATH)
        api = time_calls('GET %s (svcframe-api)' % PATH, lambda: get(port),
                         args.requests, lambda: harness.cpu_seconds(pid))
        api.size = len(body)
    print_report(args, insert_seconds, reference, api)


def main() -> None:
    args = parse_args()
    harness.main_guard(SCRIPT, lambda: run(args))


if __name__ == '__main__':
    main()
