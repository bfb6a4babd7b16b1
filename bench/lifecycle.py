"""Start-up and stop latency of an idle service: svcframe against oslo.service.

Run from the repository root after `make test` (or any install of svcframe):

    .venv/bin/python bench/lifecycle.py --runs 5
    .venv/bin/python bench/lifecycle.py --runs 7 --reference-runs 0   # backends only

Each run starts the binary, waits for READY=1 on a NOTIFY_SOCKET of our own
(the moment systemd would see the service as started), lets it idle, sends
SIGTERM and waits for it to exit. The reference is an idle
``oslo_service.service.Service`` under ``oslo_service.service.launch()`` with
the eventlet backend (bench/oslo_reference_service.py), run in the same
invocation; figures are reported as medians and as ratios to it. Each
svcframe binary runs on both backends (SVCFRAME_BACKEND), in rounds whose
order alternates, and the threading backend is also reported as a ratio to
eventlet.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
STOP_LIMIT = 120.0  # the reference's hub may sleep a minute through SIGTERM
STOP_GOAL = 1.0  # seconds from SIGTERM to exit, idle, threading backend
READY_RATIO_GOAL = 1.2  # start to READY, threading / eventlet, same binary
ENVIRONMENT = 'SVCFRAME_BACKEND'  # svcframe.backend.ENVIRONMENT; svcframe is not imported here


@dataclasses.dataclass(frozen=True)
class Subject:
    key: str
    name: str
    argv: list[str]
    env: dict[str, str]
    # Run before each start, untimed, in the run's state directory: the
    # conductor refuses a database that was never migrated.
    setup: list[str] | None = None
    binary: str = ''  # the svcframe binary, to pair its two backends
    backend: str = ''


def svcframe_subjects() -> list[Subject]:
    """Each svcframe binary on eventlet then on threading, side by side."""
    conductor_conf = str(HERE / 'conductor-2-workers.conf')
    binaries = [
        ('svcframe-compute', 'svcframe-compute', [], None),
        ('svcframe-conductor', 'svcframe-conductor, 2 workers',
         ['--config-file', conductor_conf],
         [str(BIN / 'svcframe-manage'), '--config-file', conductor_conf, 'db', 'sync']),
    ]
    subjects = []
    for binary, name, options, setup in binaries:
        for backend in ('eventlet', 'threading'):
            subjects.append(Subject(
                '%s-%s' % (binary, backend),
                name if backend == 'eventlet' else '%s, threading' % name,
                [str(BIN / binary), *options],
                # Explicit for eventlet too: SVCFRAME_BACKEND may be set here.
                {ENVIRONMENT: backend}, setup, binary, backend))
    return subjects


REFERENCE = Subject('reference', 'oslo.service launcher (reference)',
                    [sys.executable, str(HERE / 'oslo_reference_service.py')], {})


def measure_once(subject: Subject, idle: float) -> tuple[float, float]:
    """Seconds from exec to READY=1, and from SIGTERM to exit."""
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, XDG_STATE_HOME=scratch, HOME=scratch, **subject.env)
        env.pop('NOTIFY_SOCKET', None)
        if subject.setup:
            subprocess.run(subject.setup, env=env, cwd=scratch, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        notify_path = os.path.join(scratch, 'notify.sock')
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify_path)
        listener.settimeout(60)
        output_path = os.path.join(scratch, 'output.log')
        with open(output_path, 'wb') as output:
            started = time.monotonic()
            process = subprocess.Popen(subject.argv, env=dict(env, NOTIFY_SOCKET=notify_path),
                                       cwd=scratch, stdout=output, stderr=subprocess.STDOUT)
        try:
            listener.recv(64)
            ready = time.monotonic() - started
            time.sleep(idle)
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            wait_for_exit(process, STOP_LIMIT)
            stopped = time.monotonic() - stopping
        finally:
            listener.close()
            if process.poll() is None:
                process.kill()
                process.wait()
        check_backend(subject, Path(output_path))
        return ready, stopped


def wait_for_exit(process: subprocess.Popen, limit: float) -> None:
    """Return as the process exits: Popen.wait(timeout) polls, every 50 ms at most."""
    pidfd = os.pidfd_open(process.pid)
    try:
        if not select.select([pidfd], [], [], limit)[0]:
            raise subprocess.TimeoutExpired(process.args, limit)
    finally:
        os.close(pidfd)
    process.wait()


def check_backend(subject: Subject, output: Path) -> None:
    """A svcframe binary says which backend it ran on: the one it was given."""
    if subject.backend and ('runs on the %s backend' % subject.backend
                            not in output.read_text(errors='replace')):
        sys.exit('bench/lifecycle.py: %s did not say it runs on the %s backend'
                 % (subject.name, subject.backend))


def measure(subjects: list[Subject], args: argparse.Namespace
            ) -> dict[str, list[tuple[float, float]]]:
    """Samples of every subject, one each per round, the order alternating.

    The reference runs in the first --reference-runs rounds only: its stop
    takes about a minute.
    """
    samples: dict[str, list[tuple[float, float]]] = {REFERENCE.key: []}
    samples.update((subject.key, []) for subject in subjects)
    for round_ in range(args.runs):
        order = subjects if round_ % 2 == 0 else subjects[::-1]
        if round_ < args.reference_runs:
            order = [REFERENCE, *order]
        for subject in order:
            print('bench/lifecycle.py: %s, round %d of %d' % (subject.name, round_ + 1, args.runs),
                  file=sys.stderr, flush=True)
            samples[subject.key].append(measure_once(subject, args.idle))
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def print_table(subjects: list[Subject], samples: dict[str, list[tuple[float, float]]]) -> None:
    """Medians with their ratio to the reference; nan without it (--reference-runs 0)."""
    reference = samples[REFERENCE.key]
    ref_ready = median([s[0] for s in reference])
    ref_stop = median([s[1] for s in reference])
    print('%-42s %4s %8s %7s %8s %7s  %s' % ('subject', 'runs', 'ready s', 'ratio',
                                             'stop s', 'ratio', 'stop s of each run'))
    for subject in [REFERENCE, *subjects]:
        mine = samples[subject.key]
        ready, stop = median([s[0] for s in mine]), median([s[1] for s in mine])
        print('%-42s %4d %8.3f %7.2f %8.3f %7.3f  %s' % (
            subject.name, len(mine), ready, ready / ref_ready, stop, stop / ref_stop,
            ' '.join('%.2f' % s[1] for s in mine)))


def print_goals(subjects: list[Subject], samples: dict[str, list[tuple[float, float]]]) -> None:
    print('%-62s %6s %9s  %-6s %s' % ('goal', 'value', 'target', 'result', 'each round'))
    for subject in subjects:
        if subject.backend != 'threading':
            continue
        stops = [s[1] for s in samples[subject.key]]
        stop = median(stops)
        print('%-62s %6.3f <= %5.2f  %-6s %s' % (
            'idle stop after SIGTERM, threading <= 1 s, %s' % subject.binary, stop, STOP_GOAL,
            'PASS' if stop <= STOP_GOAL else 'MISS', ' '.join('%.2f' % s for s in stops)))
    for subject in subjects:
        if subject.backend != 'threading':
            continue
        eventlet = samples['%s-eventlet' % subject.binary]
        threaded = samples[subject.key]
        ratio = median([s[0] for s in threaded]) / median([s[0] for s in eventlet])
        # Each round's pair ran next to each other: their spread is the noise.
        per_round = [t[0] / e[0] for t, e in zip(threaded, eventlet, strict=True)]
        print('%-62s %6.2f <= %5.2f  %-6s %s' % (
            'start to READY, threading / eventlet, %s' % subject.binary, ratio,
            READY_RATIO_GOAL, 'PASS' if ratio <= READY_RATIO_GOAL else 'MISS',
            ' '.join('%.2f' % r for r in per_round)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5,
                        help='rounds: runs of each svcframe subject (default 5)')
    parser.add_argument('--reference-runs', type=int, default=1,
                        help='runs of the reference, in the first rounds; each may take a '
                             'minute to stop; 0 leaves it out (default 1)')
    parser.add_argument('--idle', type=float, default=2.0,
                        help='seconds the service idles before SIGTERM (default 2)')
    args = parser.parse_args()

    subjects = svcframe_subjects()
    samples = measure(subjects, args)
    print('Idle start and stop, %d round(s), the order alternating, %d CPUs'
          % (args.runs, os.cpu_count() or 0))
    print()
    print_table(subjects, samples)
    print()
    print_goals(subjects, samples)


if __name__ == '__main__':
    main()
