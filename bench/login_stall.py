"""Does a flood of failed http_basic logins stall svcframe-api?

Run from the repository root:

    .venv/bin/python bench/login_stall.py
    .venv/bin/python bench/login_stall.py --workers 2 --logins 8 --cost 12

Starts ``svcframe-api`` (the shipped paste pipeline, ``auth_strategy =
http_basic``, an htpasswd file with one user of bcrypt cost ``--cost``, the
failure budget off so that every login costs a bcrypt check) on a free port
of 127.0.0.1. Then:

1. idle: ``GET /healthcheck`` on a new connection each time, ``--probes`` times;
2. loaded: the same while ``--logins`` clients send wrong passwords (half for
   the known user, half for an unknown one) back to back;
3. one client alone: the time of a 401 for the known user with a wrong
   password and for an unknown user, which should be the same.

The goal (issue 11): loaded median and p95 within 2x idle + 5 ms.
The server is stopped by its pid (and its process group) at the end.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import bcrypt

from http_servers import (BIN, HOST, PASTE, BenchError, Launch, Subject, db_sync,
                          serving)

CONFIG = """\
[DEFAULT]
debug = False

[api]
port = {port}
workers = {workers}
auth_strategy = http_basic
http_basic_auth_user_file = {users}
http_basic_max_failures = 0

[wsgi]
api_paste_config = {paste}
"""
SLACK_MS = 5.0


def authorization(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return {'Authorization': 'Basic ' + token}


def timed_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, float]:
    """Status and milliseconds of one request on a connection of its own."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request('GET', path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def probe(port: int, count: int) -> list[float]:
    times = []
    for _ in range(count):
        status, elapsed = timed_get(port, '/healthcheck')
        if status != 200:
            raise BenchError('/healthcheck answered %d' % status)
        times.append(elapsed)
        time.sleep(0.01)
    return times


def fail_logins(port: int, user: str, stop: threading.Event, statuses: list[int]) -> None:
    headers = authorization(user, 'not-the-password')
    while not stop.is_set():
        statuses.append(timed_get(port, '/v1', headers)[0])


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def run(args: argparse.Namespace, scratch: Path) -> int:
    users = scratch / 'htpasswd'
    hashed = bcrypt.hashpw(b's3cret', bcrypt.gensalt(args.cost)).decode()
    users.write_text('operator:%s\n' % hashed)

    def build(port: int, scratch: Path) -> Launch:
        config = scratch / 'api.conf'
        config.write_text(CONFIG.format(port=port, workers=args.workers, users=users,
                                        paste=PASTE))
        return Launch([str(BIN / 'svcframe-api'), '--config-file', str(config),
                       '--log-file', str(scratch / 'api.log')], {}, scratch / 'api.out',
                      setup=db_sync(config))

    subject = Subject('svcframe-api', 'svcframe-api, http_basic', build)
    with serving(subject, scratch) as (_, port):
        probe(port, 20)  # warm-up
        idle = probe(port, args.probes)
        stop = threading.Event()
        statuses: list[int] = []
        clients = [threading.Thread(target=fail_logins, daemon=True,
                                    args=(port, ('operator', 'nobody')[i % 2], stop, statuses))
                   for i in range(args.logins)]
        started = time.perf_counter()
        for client in clients:
            client.start()
        time.sleep(1.0)  # every client is in a bcrypt check
        loaded = probe(port, args.probes)
        stop.set()
        for client in clients:
            client.join()
        seconds = time.perf_counter() - started
        known = [timed_get(port, '/v1', authorization('operator', 'wrong'))[1]
                 for _ in range(args.single)]
        unknown = [timed_get(port, '/v1', authorization('nobody', 'wrong'))[1]
                   for _ in range(args.single)]

    if set(statuses) != {401}:
        raise BenchError('failed logins answered %s, not only 401' % sorted(set(statuses)))
    idle_median, idle_p95 = summary(idle)
    loaded_median, loaded_p95 = summary(loaded)
    print('svcframe-api, %d worker(s), bcrypt cost %d, %d CPUs'
          % (args.workers, args.cost, os.cpu_count()))
    print('%-40s %9s %9s' % ('GET /healthcheck', 'median ms', 'p95 ms'))
    print('%-40s %9.1f %9.1f' % ('idle', idle_median, idle_p95))
    print('%-40s %9.1f %9.1f' % ('during %d clients of failed logins' % args.logins,
                                 loaded_median, loaded_p95))
    print('failed logins answered: %d in %.1f s (%.1f/s), all 401'
          % (len(statuses), seconds, len(statuses) / seconds))
    print('one 401 alone, median ms: known user %.1f, unknown user %.1f'
          % (statistics.median(known), statistics.median(unknown)))
    ok = (loaded_median <= 2 * idle_median + SLACK_MS and loaded_p95 <= 2 * idle_p95 + SLACK_MS)
    print('goal (loaded <= 2x idle + %.0f ms, median and p95): %s'
          % (SLACK_MS, 'met' if ok else 'NOT met'))
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--logins', type=int, default=4, help='concurrent failing clients')
    parser.add_argument('--cost', type=int, default=12, help='bcrypt cost of the user')
    parser.add_argument('--probes', type=int, default=200)
    parser.add_argument('--single', type=int, default=10,
                        help='lone logins timed per kind (known, unknown user)')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='svcframe-login-stall-') as scratch:
        try:
            return run(args, Path(scratch))
        except BenchError as error:
            print('login_stall.py: %s' % error, file=sys.stderr)
            return 2


if __name__ == '__main__':
    sys.exit(main())
