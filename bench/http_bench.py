"""HTTP throughput, latency and SIGTERM under load: svcframe-api against a bare eventlet server.

Run from the repository root after `make test` (svcframe and gunicorn
installed in .venv):

    .venv/bin/python bench/http_bench.py

Each server is started on a free port of 127.0.0.1 and loaded by wrk on
``GET /`` over keep-alive connections: the reference, a bare
``eventlet.wsgi.server`` in one process (bench/raw_eventlet_server.py);
svcframe-api with its default paste pipeline and 1, then 2 workers; and
gunicorn's sync worker, 2 workers, serving the same svcframe app. Figures are
reported as ratios to the reference, run in the same invocation, and checked
against the project's goals. Then each server gets SIGTERM while 50
keep-alive clients load it, and what happened to their requests is counted.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The load clients are the integration tests' own.
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import collections  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from http_servers import (HOST, SUBJECTS, BenchError, Subject, serving,  # noqa: E402
                          wait_or_kill)
from tests.integration.http_load import Load  # noqa: E402


# --- wrk ------------------------------------------------------------------

@dataclasses.dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors plus responses other than 2xx or 3xx


@dataclasses.dataclass
class Measurement:
    subject: Subject
    result: WrkResult
    connections: collections.Counter  # established connections per server pid, mid-run


WRK_UNITS_MS = {'us': 0.001, 'ms': 1.0, 's': 1000.0, 'm': 60000.0, 'h': 3600000.0}


def ensure_wrk() -> str:
    """The path of wrk, installed with apt-get when it is missing."""
    wrk = shutil.which('wrk')
    if wrk is None:
        print('wrk is not installed; installing it with apt-get', file=sys.stderr)
        install = ['apt-get', 'install', '-y', 'wrk']
        if apt_get(install) != 0:
            apt_get(['apt-get', 'update'])
            apt_get(install)
        wrk = shutil.which('wrk')
    if wrk is None:
        sys.exit('bench/http_bench.py: error: wrk is not installed and `apt-get install -y wrk` '
                 'did not install it; install wrk (https://github.com/wg/wrk) and run again')
    return wrk


def apt_get(argv: list[str]) -> int:
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    try:
        return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL).returncode
    except FileNotFoundError:  # not a Debian-like system
        return 127


def run_wrk(wrk: str, port: int, args: argparse.Namespace,
            duration: int) -> tuple[WrkResult, collections.Counter]:
    """Load GET / for ``duration`` s; the result, and connections per server pid half-way."""
    argv = [wrk, '-t%d' % args.threads, '-c%d' % args.connections, '-d%ds' % duration,
            '--latency', 'http://%s:%d/' % (HOST, port)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as process:
        try:
            time.sleep(duration / 2)
            connections = connections_per_pid(port)
            output, _ = process.communicate(timeout=duration + 60)
        finally:
            if process.poll() is None:
                process.kill()
    if process.returncode != 0:
        raise BenchError('%s exited with %d:\n%s' % (' '.join(argv), process.returncode, output))
    return parse_wrk(output), connections


def connections_per_pid(port: int) -> collections.Counter:
    """Established connections to ``port``, counted by the pid that holds each.

    Shows how the kernel and the accept loops spread keep-alive connections
    over the worker processes. Empty when ss (iproute2) is missing.
    """
    if shutil.which('ss') is None:
        return collections.Counter()
    listing = subprocess.run(['ss', '-Htnp', 'state', 'established', '( sport = :%d )' % port],
                             capture_output=True, text=True).stdout
    return collections.Counter(int(pid) for line in listing.splitlines()
                               for pid in set(re.findall(r'pid=(\d+)', line)))


def parse_wrk(output: str) -> WrkResult:
    """Requests/s, p50 and p99 from the output of ``wrk --latency``."""
    rate = re.search(r'^Requests/sec:\s+([\d.]+)', output, re.M)
    p50 = re.search(r'^\s+50%\s+([\d.]+)(us|ms|s|m|h)\s*$', output, re.M)
    p99 = re.search(r'^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$', output, re.M)
    if not (rate and p50 and p99):
        raise BenchError('cannot read requests/s, p50 and p99 in this wrk output:\n' + output)
    socket_errors = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), '
                              r'timeout (\d+)', output)
    non_2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(float(rate.group(1)),
                     float(p50.group(1)) * WRK_UNITS_MS[p50.group(2)],
                     float(p99.group(1)) * WRK_UNITS_MS[p99.group(2)], errors)


def measure(subject: Subject, wrk: str, scratch: Path, args: argparse.Namespace) -> Measurement:
    progress('wrk on %s' % subject.name)
    with serving(subject, scratch) as (_, port):
        # Discarded: lets every worker finish starting and load its code.
        if args.warmup:
            run_wrk(wrk, port, args, args.warmup)
        result, connections = run_wrk(wrk, port, args, args.duration)
    return Measurement(subject, result, connections)


# --- SIGTERM under load ---------------------------------------------------

AFTER_EXIT_SECONDS = 1.0


@dataclasses.dataclass
class StopResult:
    subject: Subject
    counts: collections.Counter  # ok, failed, refused, closed by server, died
    exit_code: int
    killed: bool  # did not exit within --stop-timeout
    exit_seconds: float
    failures: list[str]


@contextlib.contextmanager
def thread_errors() -> Iterator[list[str]]:
    """Collect the errors that end threads, rather than print their tracebacks.

    http_load's clients count a refused connection, but any other error on
    connect (a reset from a server that is dying) ends the client uncounted.
    """
    errors: list[str] = []
    previous = threading.excepthook
    threading.excepthook = lambda hook: errors.append(
        'on connect: %s: %s' % (hook.exc_type.__name__, hook.exc_value))
    try:
        yield errors
    finally:
        threading.excepthook = previous


def sigterm_under_load(subject: Subject, scratch: Path, args: argparse.Namespace) -> StopResult:
    """SIGTERM to the server's main process while keep-alive clients load it.

    A server that stops well answers every request it took and then refuses
    connections; failed requests are ones it took and dropped.
    """
    progress('SIGTERM under load to %s' % subject.name)
    with thread_errors() as died, serving(subject, scratch) as (process, port):
        # No slow clients: the default pipeline has no slow endpoint.
        load = Load(port, clients=args.load_clients, fast_path='/')
        load.start()
        try:
            time.sleep(args.load_seconds)
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            killed = wait_or_kill(process, args.stop_timeout)
            exit_seconds = time.monotonic() - stopping
            # Clients that lost a request reconnect: give each the time to
            # find the port closed, which is counted as refused.
            time.sleep(AFTER_EXIT_SECONDS)
        finally:
            counts = load.stop()
        counts['died'] = len(died)
    return StopResult(subject, counts, process.returncode, killed, exit_seconds,
                      load.failures() + died)


def describe_exit(result: StopResult) -> str:
    if result.killed:
        return 'killed'
    if result.exit_code < 0:
        return signal.Signals(-result.exit_code).name
    return str(result.exit_code)


# --- report ---------------------------------------------------------------

# (label, numerator, denominator, figure, '>=' or '<=', goal)
GOALS = [
    ('svcframe 1 worker / reference, req/s', 'svcframe-1', 'reference',
     'requests_per_second', '>=', 0.7),
    ('svcframe 2 workers / reference, req/s', 'svcframe-2', 'reference',
     'requests_per_second', '>=', 1.3),
    ('svcframe 2 workers / gunicorn 2 workers, req/s', 'svcframe-2', 'gunicorn-2',
     'requests_per_second', '>=', 1.5),
    ('svcframe 2 workers / svcframe 1 worker, p99', 'svcframe-2', 'svcframe-1',
     'p99_ms', '<=', 3.0),
]


def print_throughput(measurements: list[Measurement]) -> None:
    reference = measurements[0].result
    print('%-26s %10s %6s %8s %6s %8s %6s %7s' % (
        'server', 'req/s', 'ratio', 'p50 ms', 'ratio', 'p99 ms', 'ratio', 'errors'))
    for measurement in measurements:
        result = measurement.result
        print('%-26s %10.0f %6.2f %8.2f %6.2f %8.2f %6.2f %7d' % (
            measurement.subject.name,
            result.requests_per_second,
            result.requests_per_second / reference.requests_per_second,
            result.p50_ms, result.p50_ms / reference.p50_ms,
            result.p99_ms, result.p99_ms / reference.p99_ms, result.errors))


def print_goals(measurements: list[Measurement]) -> None:
    results = {measurement.subject.key: measurement.result for measurement in measurements}
    print('%-48s %6s %9s  %s' % ('goal', 'ratio', 'target', 'result'))
    for label, numerator, denominator, figure, comparison, goal in GOALS:
        ratio = (getattr(results[numerator], figure)
                 / getattr(results[denominator], figure))
        met = ratio >= goal if comparison == '>=' else ratio <= goal
        print('%-48s %6.2f %2s %6.1f  %s' % (label, ratio, comparison, goal,
                                             'PASS' if met else 'MISS'))


def print_connections(measurements: list[Measurement]) -> None:
    print('established connections per server pid, half-way through the wrk run:')
    for measurement in measurements:
        spread = ', '.join('pid %d: %d' % item
                           for item in sorted(measurement.connections.items()))
        print('  %-26s %s' % (measurement.subject.name, spread or '-'))


def print_stops(results: list[StopResult], args: argparse.Namespace) -> None:
    print('SIGTERM under load: %d keep-alive clients on GET /, SIGTERM after %s s'
          % (args.load_clients, args.load_seconds))
    print('%-26s %8s %7s %8s %5s %7s %7s %7s' % ('server', 'ok', 'failed', 'refused',
                                                 'died', 'closed', 'exit', 'exit s'))
    for result in results:
        counts = result.counts
        print('%-26s %8d %7d %8d %5d %7d %7s %7.2f' % (
            result.subject.name, counts['ok'], counts['failed'], counts['refused'],
            counts['died'], counts['closed by server'], describe_exit(result),
            result.exit_seconds))
    for result in results:
        for failure, count in collections.Counter(result.failures).most_common(3):
            print('  %s: %d x %s' % (result.subject.name, count, failure[:90]))


# --- main -----------------------------------------------------------------

def progress(message: str) -> None:
    # On stderr, so that stdout holds the report alone.
    print('bench/http_bench.py: %s' % message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=2, help='wrk threads (default 2)')
    parser.add_argument('--connections', type=int, default=50,
                        help='wrk keep-alive connections (default 50)')
    parser.add_argument('--duration', type=int, default=10,
                        help='seconds of each measured wrk run (default 10)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='seconds of an unmeasured wrk run before it; 0 for none (default 2)')
    parser.add_argument('--load-clients', type=int, default=50,
                        help='keep-alive client threads in the SIGTERM rows (default 50)')
    parser.add_argument('--load-seconds', type=float, default=3.0,
                        help='seconds of load before SIGTERM (default 3)')
    parser.add_argument('--stop-timeout', type=float, default=90.0,
                        help='seconds a server may take to exit after SIGTERM before it '
                             'is killed (default 90)')
    return parser.parse_args()


def run(args: argparse.Namespace) -> None:
    wrk = ensure_wrk()
    print('wrk -t%d -c%d -d%ds --latency, GET / on %s, %d CPUs' % (
        args.threads, args.connections, args.duration, HOST, os.cpu_count() or 0))
    with tempfile.TemporaryDirectory(prefix='svcframe-bench-http-') as scratch:
        measurements = [measure(subject, wrk, Path(scratch), args) for subject in SUBJECTS]
        print_throughput(measurements)
        print()
        print_goals(measurements)
        print()
        print_connections(measurements)
        print(flush=True)
        stops = [sigterm_under_load(subject, Path(scratch), args) for subject in SUBJECTS]
        print_stops(stops, args)


def main() -> None:
    args = parse_args()
    # A SIGTERM to the benchmark stops its servers on the way out, as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run(args)
    except BenchError as error:
        sys.exit('bench/http_bench.py: error: %s' % error)
    except KeyboardInterrupt:
        sys.exit('bench/http_bench.py: interrupted; every server it started is stopped')


if __name__ == '__main__':
    main()
