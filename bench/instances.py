"""The reference workload end to end: instances/s and time to active.

Run from the repository root, with RabbitMQ and PostgreSQL on 127.0.0.1:

    .venv/bin/python bench/instances.py                  # both parts
    .venv/bin/python bench/instances.py --part e2e --mode all
    .venv/bin/python bench/instances.py --part e2e --mode all --backend threading

Part ``e2e``: ``--instances`` instances are created through the HTTP API by
``--concurrency`` client threads; their records tell when each was created
and when it went ``active``. Mode
``four``: svcframe-api, -conductor, -scheduler and one -compute (the fake
driver, room for every instance) as four processes on a RabbitMQ vhost and a
PostgreSQL database of the run's own. Mode ``all``: one ``svcframe-all`` on its
embedded defaults (in-memory RPC, SQLite under a scratch state_path).

Part ``select``: svcframe-conductor and -scheduler on RabbitMQ and PostgreSQL,
with 1,000 compute hosts inserted in the database (services up, capacity
reported); this process calls ``SchedulerAPI.select_destinations`` back to
back and times each call, first as it comes (host states cached by the
scheduler for a second), then with ``fresh=True`` (read from the conductor
every call).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import tempfile
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# svcframe's modules import eventlet, which prints a deprecation notice when
# imported; svcframe's binaries silence it the same way (cmd/eventlet_patch.py).
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import sqlalchemy as sa  # noqa: E402

import harness  # noqa: E402
from svcframe import context  # noqa: E402
from svcframe import rpc  # noqa: E402
from svcframe.db import migration  # noqa: E402
from svcframe.db import models  # noqa: E402
from svcframe.db.api import Database  # noqa: E402
from svcframe.rpcapi.scheduler import SchedulerAPI  # noqa: E402

SCRIPT = 'instances.py'
E2E_GOALS = {'four': None, 'all': 100.0}  # instances/s create -> active
SELECT_GOAL_MS = 20.0
SPEC = {'vcpus': 1, 'memory_mb': 64}


def request(port: int, method: str, path: str, body: object = None) -> tuple[int, object]:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    try:
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=data,
                           headers={'Content-Type': 'application/json'})
        response = connection.getresponse()
        answer = response.read()
        return response.status, json.loads(answer) if answer else None
    finally:
        connection.close()


def api_port(process, output: Path) -> int:
    def port() -> int | None:
        match = re.search(r'listening on http://[^ ]*:(\d+)', output.read_text(errors='replace'))
        return int(match.group(1)) if match else None
    return harness.wait_until(port, process, output, 'the API to listen')


def compute_ready(port: int) -> bool:
    status, body = request(port, 'GET', '/v1/services?binary=svcframe-compute')
    return status == 200 and any(s['state'] == 'up' for s in body['services'])


def schedulable(port: int) -> bool:
    """One instance goes active: the compute host has reported its capacity."""
    status, body = request(port, 'POST', '/v1/instances',
                           {'instance': dict(SPEC, name='probe')})
    if status != 202:
        return False
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        _, shown = request(port, 'GET', '/v1/instances/%s' % body['instance']['id'])
        if shown['instance']['state'] != 'building':
            return shown['instance']['state'] == 'active'
        time.sleep(0.05)
    return False


def drive(port: int, database: Database, count: int, concurrency: int) -> dict:
    """Create ``count`` instances; their times from creation to active.

    The times come from the records (created_at, and updated_at as the
    conductor set state active), so no polling loads the API while it runs.
    """
    errors: list[str] = []
    ids: list[str] = []

    def create(n: int) -> None:
        status, body = request(port, 'POST', '/v1/instances',
                               {'instance': dict(SPEC, name='bench-%d' % n)})
        if status != 202:
            errors.append('POST answered %d: %s' % (status, body))
        else:
            ids.append(body['instance']['id'])

    table = models.Instance.__table__
    query = sa.select(table.c.state, table.c.created_at, table.c.updated_at,
                      table.c.fault).where(table.c.uuid.in_(sa.bindparam('ids', expanding=True)))
    begin = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(create, range(count)))
    deadline = begin + max(60.0, count / 5)
    while True:
        with database.engine.connect() as connection:
            rows = list(connection.execute(query, {'ids': ids}))
        errors += [row.fault for row in rows if row.state == 'error']
        if errors or all(row.state == 'active' for row in rows) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    active = [row for row in rows if row.state == 'active']
    if errors or len(active) < count:
        raise harness.BenchError('%d of %d instances went active; errors: %s'
                                 % (len(active), count, errors[:3]))
    first = min(row.created_at for row in active)
    last = max(row.updated_at for row in active)
    return {'instances': count, 'seconds': (last - first).total_seconds(),
            'to_active': [(row.updated_at - row.created_at).total_seconds()
                          for row in active]}

# Every instance of the run is created by one (noauth admin) project: no limits.
UNLIMITED = {'instances': -1, 'vcpus': -1, 'memory_mb': -1}


def run_e2e(args: argparse.Namespace, scratch: Path) -> None:
    if args.mode == 'all':
        harness.progress(SCRIPT, 'svcframe-all on its embedded defaults')
        config = harness.write_config(scratch / 'all.conf', {
            'DEFAULT': {'state_path': scratch / 'state'},
            'api': {'port': 0},
            'wsgi': {'api_paste_config': harness.PASTE},
            'quota': UNLIMITED,
            'fake_driver': {'vcpus': 10 ** 6, 'memory_mb': 10 ** 9}})
        with harness.running(harness.svcframe_binary('svcframe-all', config),
                             scratch, 'all', harness.backend_env(args.backend)) as process:
            database = Database(harness.make_conf(DEFAULT={'state_path': scratch / 'state'}))
            measure_e2e(args, api_port(process, scratch / 'all.out'), database, process,
                        scratch / 'all.out')
            database.close()
        return
    with harness.rabbit_vhost('svcframe-bench-instances') as rabbit, \
            harness.postgres_database('svcframe_bench_instances') as database_url:
        conf = harness.make_conf(database={'connection': database_url})
        database = Database(conf)
        migration.sync(database)
        config = harness.write_config(scratch / 'four.conf', {
            'DEFAULT': {'transport_url': rabbit, 'host': 'bench-node',
                        'periodic_fuzzy_delay': 0},
            'database': {'connection': database_url},
            'api': {'port': 0, 'workers': 1},
            'wsgi': {'api_paste_config': harness.PASTE},
            'conductor': {'workers': 1}, 'scheduler': {'workers': 1},
            'quota': UNLIMITED,
            'fake_driver': {'vcpus': 10 ** 6, 'memory_mb': 10 ** 9}})
        harness.progress(SCRIPT, 'four processes on RabbitMQ and PostgreSQL')
        with harness.running(harness.svcframe_binary('svcframe-conductor', config),
                             scratch, 'conductor', harness.backend_env(args.backend)), \
                harness.running(harness.svcframe_binary('svcframe-scheduler', config),
                                scratch, 'scheduler', harness.backend_env(args.backend)), \
                harness.running(harness.svcframe_binary('svcframe-compute', config),
                                scratch, 'compute', harness.backend_env(args.backend)), \
                harness.running(harness.svcframe_binary('svcframe-api', config),
                                scratch, 'api', harness.backend_env(args.backend)) as api:
            port = api_port(api, scratch / 'api.out')
            measure_e2e(args, port, database, api, scratch / 'api.out')
        database.close()


def measure_e2e(args: argparse.Namespace, port: int, database: Database, process,
                output: Path) -> None:
    harness.wait_until(lambda: compute_ready(port), process, output, 'compute to be up')
    harness.wait_until(lambda: schedulable(port), process, output, 'a first instance')
    harness.progress(SCRIPT, '%d instances, %d at a time'
                     % (args.instances, args.concurrency))
    result = drive(port, database, args.instances, args.concurrency)
    rate = result['instances'] / result['seconds']
    p50 = harness.percentile(result['to_active'], 50) * 1000
    p99 = harness.percentile(result['to_active'], 99) * 1000
    print('e2e, mode %s, %s backend: %d instances, %d at a time, in %.2f s: '
          '%.1f instances/s; time to active p50 %.0f ms, p99 %.0f ms'
          % (args.mode, args.backend, result['instances'], args.concurrency,
             result['seconds'], rate, p50, p99))
    goal = E2E_GOALS[args.mode]
    if goal is not None:
        print('goal: >= %.0f instances/s create -> active: %s'
              % (goal, 'PASS' if rate >= goal else 'MISS'))


def insert_hosts(database: Database, count: int) -> None:
    """``count`` compute services, up, each with a capacity record."""
    now = models.utcnow()
    services = [{'uuid': str(uuid.uuid4()), 'host': 'host-%04d' % n,
                 'binary': 'svcframe-compute', 'topic': 'compute', 'report_count': 1,
                 'disabled': False, 'forced_down': False, 'last_seen_up': now, 'version': 0,
                 'created_at': now, 'deleted': 0} for n in range(count)]
    nodes = [{'host': 'host-%04d' % n, 'vcpus': 64, 'memory_mb': 65536 + n,
              'vcpus_used': 0, 'memory_mb_used': 0, 'created_at': now, 'deleted': 0}
             for n in range(count)]
    with database.engine.begin() as connection:
        connection.execute(sa.insert(models.Service.__table__), services)
        connection.execute(sa.insert(models.ComputeNode.__table__), nodes)


def run_select(args: argparse.Namespace, scratch: Path) -> None:
    with harness.rabbit_vhost('svcframe-bench-select') as rabbit, \
            harness.postgres_database('svcframe_bench_select') as database_url:
        conf = harness.make_conf(DEFAULT={'transport_url': rabbit},
                                 database={'connection': database_url})
        database = Database(conf)
        migration.sync(database)
        insert_hosts(database, args.hosts)
        database.close()
        config = harness.write_config(scratch / 'select.conf', {
            # The inserted hosts send no heartbeats: keep them up for the run.
            'DEFAULT': {'transport_url': rabbit, 'host': 'bench-node',
                        'service_down_time': 3600, 'periodic_fuzzy_delay': 0},
            'database': {'connection': database_url},
            'conductor': {'workers': 1}, 'scheduler': {'workers': 1}})
        harness.progress(SCRIPT, 'select_destinations over %d hosts' % args.hosts)
        with harness.running(harness.svcframe_binary('svcframe-conductor', config),
                             scratch, 'select-conductor'), \
                harness.running(harness.svcframe_binary('svcframe-scheduler', config),
                                scratch, 'select-scheduler') as scheduler:
            transport = rpc.create_transport(conf)
            client = SchedulerAPI(transport, conf, timeout=30)
            ctx = context.get_admin_context()

            def first() -> bool:
                try:
                    return len(client.select_destinations(ctx, SPEC)) == args.hosts
                except Exception:  # noqa: BLE001 - not serving yet
                    return False
            harness.wait_until(first, scheduler, scratch / 'select-scheduler.out',
                               'the scheduler to rank %d hosts' % args.hosts, timeout=120)
            for fresh in (False, True):
                seconds = []
                for _ in range(args.select_calls):
                    started = time.perf_counter()
                    client.select_destinations(ctx, SPEC, fresh=fresh)
                    seconds.append(time.perf_counter() - started)
                p50 = harness.percentile(seconds, 50) * 1000
                print('select_destinations over %d hosts, %s: p50 %.1f ms, p99 %.1f ms'
                      % (args.hosts, 'fresh host states' if fresh else 'as it comes',
                         p50, harness.percentile(seconds, 99) * 1000))
                if not fresh:
                    print('goal: p50 < %.0f ms: %s'
                          % (SELECT_GOAL_MS, 'PASS' if p50 < SELECT_GOAL_MS else 'MISS'))
            transport.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--part', choices=('e2e', 'select', 'both'), default='both')
    parser.add_argument('--mode', choices=('four', 'all'), default='four')
    parser.add_argument('--backend', choices=('eventlet', 'threading'), default='eventlet',
                        help='SVCFRAME_BACKEND of every svcframe binary started')
    parser.add_argument('--instances', type=int, default=500)
    parser.add_argument('--concurrency', type=int, default=20)
    parser.add_argument('--hosts', type=int, default=1000)
    parser.add_argument('--select-calls', type=int, default=200)
    args = parser.parse_args()

    def run() -> None:
        with tempfile.TemporaryDirectory(prefix='svcframe-bench-instances-') as scratch:
            if args.part in ('e2e', 'both'):
                run_e2e(args, Path(scratch))
            if args.part in ('select', 'both'):
                run_select(args, Path(scratch))
    harness.main_guard(SCRIPT, run)


if __name__ == '__main__':
    main()
