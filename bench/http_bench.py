"""HTTP throughput, latency and SIGTERM under load: svcframe-api against a bare eventlet server.

Run from the repository root after `make test` (svcframe and gunicorn
installed in .venv):

    .venv/bin/python bench/http_bench.py

Each server is started on a free port of 127.0.0.1 and loaded by wrk on
``GET /`` over keep-alive connections: the reference, a bare
``eventlet.wsgi.server`` in one process (bench/raw_eventlet_server.py)
serving the trivial app of bench/trivial_app.py; svcframe-api serving that
same app, 1 worker; svcframe-api with its default paste pipeline, 1 then 2
workers; gunicorn's sync worker, 2 workers, serving the same svcframe app;
and uWSGI, one process, serving the trivial app. Every subject runs once per
round, in an order that rotates from round to round; the report gives the
median of its rounds as ratios to the reference, run in the same invocation,
checks them against the project's goals and shows each round's ratio. Then
each server gets SIGTERM while 50 keep-alive clients load it, and what
happened to their requests is counted.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The load clients are the integration tests' own.
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from http_report import (Measurement, StopResult, print_connections, print_goals,  # noqa: E402
                         print_rounds, print_stops, print_throughput)
from http_servers import (HOST, SUBJECTS, BenchError, Subject, keeps_alive,  # noqa: E402
                          serving, wait_or_kill)
from http_wrk import ensure_wrk, run_wrk  # noqa: E402
from tests.integration.http_load import Load  # noqa: E402


# --- rounds of wrk -------------------------------------------------------

def round_order(subjects: list[Subject], round_index: int) -> list[Subject]:
    """The subjects rotated so that round r starts with subject r mod n."""
    start = round_index % len(subjects)
    return subjects[start:] + subjects[:start]


def measure(subject: Subject, round_index: int, wrk: str, scratch: Path,
            args: argparse.Namespace) -> Measurement:
    progress('round %d/%d: wrk on %s' % (round_index + 1, args.rounds, subject.name))
    with serving(subject, scratch) as (_, port):
        keep_alive = keeps_alive(port)
        # Discarded: lets every worker finish starting and load its code.
        if args.warmup:
            run_wrk(wrk, port, args.threads, args.connections, args.warmup)
        result, connections = run_wrk(wrk, port, args.threads, args.connections,
                                      args.duration)
    return Measurement(subject, round_index, result, connections, keep_alive)


def measure_rounds(subjects: list[Subject], wrk: str, scratch: Path,
                   args: argparse.Namespace) -> list[Measurement]:
    """Every subject once per round, each round in its own order."""
    return [measure(subject, round_index, wrk, scratch, args)
            for round_index in range(args.rounds)
            for subject in round_order(subjects, round_index)]


# --- SIGTERM under load ---------------------------------------------------

AFTER_EXIT_SECONDS = 1.0


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


# --- main -----------------------------------------------------------------

def progress(message: str) -> None:
    # On stderr, so that stdout holds the report alone.
    print('bench/http_bench.py: %s' % message, file=sys.stderr, flush=True)


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError('must be an int >= 1, not: %s' % value)
    return number


def subject_keys(value: str) -> set[str]:
    keys = {key.strip() for key in value.split(',') if key.strip()}
    known = [subject.key for subject in SUBJECTS]
    unknown = sorted(keys - set(known))
    if unknown or not keys:
        raise argparse.ArgumentTypeError('unknown subject %s; the subjects are: %s'
                                         % (', '.join(unknown) or repr(value), ','.join(known)))
    return keys


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', type=subject_keys, metavar='KEY[,KEY]',
                        help='run these subjects only, of: %s (default: all)'
                             % ','.join(subject.key for subject in SUBJECTS))
    parser.add_argument('--rounds', type=positive_int, default=3,
                        help='rounds of wrk runs, each measuring every subject once; the '
                             'report takes the median of each subject (default 3)')
    parser.add_argument('--threads', type=positive_int, default=2, help='wrk threads (default 2)')
    parser.add_argument('--connections', type=positive_int, default=50,
                        help='wrk keep-alive connections (default 50)')
    parser.add_argument('--duration', type=positive_int, default=10,
                        help='seconds of each measured wrk run (default 10)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='seconds of an unmeasured wrk run before it; 0 for none (default 2)')
    parser.add_argument('--load-clients', type=positive_int, default=50,
                        help='keep-alive client threads in the SIGTERM rows (default 50)')
    parser.add_argument('--load-seconds', type=float, default=3.0,
                        help='seconds of load before SIGTERM (default 3)')
    parser.add_argument('--stop-timeout', type=float, default=90.0,
                        help='seconds a server may take to exit after SIGTERM before it '
                             'is killed (default 90)')
    return parser.parse_args()


def selected_subjects(args: argparse.Namespace) -> list[Subject]:
    """The subjects --only names, in the benchmark's order; all without it."""
    return [subject for subject in SUBJECTS if args.only is None or subject.key in args.only]


def report_rates(subjects: list[Subject], measurements: list[Measurement]) -> None:
    print_throughput(subjects, measurements)
    print()
    print_rounds(subjects, measurements)
    print()
    print_goals(measurements)
    print()
    print_connections(subjects, measurements)
    print(flush=True)


def run(args: argparse.Namespace) -> None:
    subjects = selected_subjects(args)
    wrk = ensure_wrk()
    for subject in subjects:
        if subject.prepare is not None:
            subject.prepare()
    print('wrk -t%d -c%d -d%ds --latency, GET / on %s, %d CPUs, %d rounds' % (
        args.threads, args.connections, args.duration, HOST, os.cpu_count() or 0, args.rounds))
    with tempfile.TemporaryDirectory(prefix='svcframe-bench-http-') as scratch:
        measurements = measure_rounds(subjects, wrk, Path(scratch), args)
        report_rates(subjects, measurements)
        stopping = [subject for subject in subjects if subject.sigterm]
        if stopping:
            stops = [sigterm_under_load(subject, Path(scratch), args) for subject in stopping]
            print_stops(stops, args.load_clients, args.load_seconds)


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
