"""RPC ping round trip: svcframe-compute and its client against bare oslo.messaging.

Run from the repository root, with RabbitMQ on 127.0.0.1:5672:

    .venv/bin/python bench/rpc_ping.py

Servers on a RabbitMQ vhost of the run's own: real ``svcframe-compute``
processes, called through ``svcframe.rpcapi.compute.ComputeAPI.ping`` (one on
the eventlet backend, one on the threading backend, one with metrics on), and
the reference, a bare oslo.messaging RPC server (bench/bare_rpc_server.py,
the eventlet executor, one endpoint) called through a bare
``get_rpc_client(...).prepare(server=host).call({}, 'ping', arg=...)``. This
process calls them all from threads (oslo.messaging's threading model, no
monkey-patching), at each concurrency, for a fixed time per cell after a
warm-up, and reports calls/s and latency as ratios to the reference.

    .venv/bin/python bench/rpc_ping.py --subjects svcframe,svcframe-threading
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import statistics
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

# svcframe's modules import eventlet, which prints a deprecation notice when
# imported; svcframe's binaries silence it the same way (cmd/eventlet_patch.py).
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import oslo_messaging as messaging  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_messaging import opts as messaging_opts  # noqa: E402

import harness  # noqa: E402
from bare_rpc_server import EXCHANGE, TOPIC  # noqa: E402
from svcframe import backend  # noqa: E402
from svcframe import context as svcframe_context  # noqa: E402
from svcframe import rpc  # noqa: E402
from svcframe.rpcapi.compute import ComputeAPI  # noqa: E402

SCRIPT = 'rpc_ping.py'
COMPUTE_HOST = 'bench-compute'
BARE_HOST = 'bench-bare'
# Bounds a call whose reply never comes; a timed-out call counts as an error.
CALL_TIMEOUT = 10.0
READY_TIMEOUT = 60.0
GOAL = 0.95  # svcframe / bare calls/s, at every concurrency
METRICS_GOAL = 0.97  # svcframe with [metrics] port set / without, at every concurrency
# svcframe-compute on the threading backend / on eventlet, calls/s, by
# concurrency. Bare oslo.messaging's threading executor did 445 against
# eventlet's 431 calls/s at 1, 583 against 754 at 50: at 50 native threads
# are expected to lose some.
THREADING_GOALS = {1: 0.95, 50: 0.8}


@dataclasses.dataclass(frozen=True)
class Variant:
    """One way to run svcframe-compute: its backend, and whether it measures requests."""

    key: str
    name: str
    backend: str = backend.EVENTLET
    metrics: bool = False


VARIANTS = {variant.key: variant for variant in (
    Variant('svcframe', 'svcframe-compute'),
    Variant('svcframe-threading', 'svcframe-compute, threading', backend=backend.THREADING),
    Variant('svcframe-metrics', 'svcframe-compute, metrics on', metrics=True),
)}
# The order of the first round: the two backends side by side, so that
# alternating the order keeps them next to each other in every round.
SUBJECT_KEYS = ('bare', 'svcframe', 'svcframe-threading', 'svcframe-metrics')


@dataclasses.dataclass
class Subject:
    key: str
    name: str
    call: Callable[[], object]
    pid: int  # the server process


@dataclasses.dataclass
class Cell:
    """What one subject did at one concurrency, summed over the rounds."""

    calls: int = 0
    errors: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = dataclasses.field(default_factory=list)
    rates: list[float] = dataclasses.field(default_factory=list)  # calls/s of each round

    def add(self, other: Cell) -> None:
        self.calls += other.calls
        self.errors += other.errors
        self.seconds += other.seconds
        self.server_cpu += other.server_cpu
        self.client_cpu += other.client_cpu
        self.latencies.extend(other.latencies)
        self.rates.append(other.rate)

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def latency_ms(self, q: float) -> float:
        return harness.percentile(self.latencies, q) * 1000

    def cpu_us_per_call(self, cpu: float) -> float:
        return cpu / self.calls * 1e6 if self.calls else float('nan')


# Stands for a reference left out by --subjects: every ratio to it is nan.
MISSING = Cell(seconds=math.nan)


# --- load -----------------------------------------------------------------

def load(call: Callable[[], object], concurrency: int, seconds: float,
         server_pid: int) -> Cell:
    """``concurrency`` threads calling back to back for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    deadline = [0.0]
    gate = threading.Barrier(concurrency + 1)

    def worker(index: int) -> None:
        gate.wait()
        mine = latencies[index]
        while time.perf_counter() < deadline[0]:
            started = time.perf_counter()
            try:
                call()
            except Exception:  # noqa: BLE001 - counted, the load goes on
                errors[index] += 1
                continue
            mine.append(time.perf_counter() - started)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu_before = harness.cpu_seconds(server_pid), harness.own_cpu_seconds()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    gate.wait()
    try:
        for thread in threads:
            thread.join()
    finally:
        deadline[0] = 0.0  # on Ctrl-C, ends the threads after their call in flight
    elapsed = time.perf_counter() - started
    flat = [latency for mine in latencies for latency in mine]
    return Cell(len(flat), sum(errors), elapsed,
                harness.cpu_seconds(server_pid) - cpu_before[0],
                harness.own_cpu_seconds() - cpu_before[1], flat)


def measure(subjects: list[Subject], concurrency: int,
            args: argparse.Namespace) -> dict[str, Cell]:
    """Every subject at ``concurrency``, in rounds, the order alternating per round.

    Alternating (ABBA) spreads any drift of the machine over both subjects.
    """
    cells = {subject.key: Cell() for subject in subjects}
    for round_ in range(args.rounds):
        order = subjects if round_ % 2 == 0 else subjects[::-1]
        for subject in order:
            harness.progress(SCRIPT, '%s, concurrency %d, round %d of %d'
                             % (subject.name, concurrency, round_ + 1, args.rounds))
            if args.warmup:
                load(subject.call, concurrency, args.warmup, subject.pid)
            cells[subject.key].add(load(subject.call, concurrency, args.duration, subject.pid))
    return cells


# --- subjects -------------------------------------------------------------

def svcframe_subject(variant: Variant, url: str, scratch: Path,
                     stack: contextlib.ExitStack, pool_size: int) -> Subject:
    """svcframe-compute started as ``variant`` says, and a ComputeAPI ping bound to it.

    The client is the same for every variant: only the server changes.
    """
    key = variant.key
    host = '%s-%s' % (COMPUTE_HOST, key)
    config = harness.write_config(scratch / (key + '.conf'), {
        'DEFAULT': {'transport_url': url, 'host': host, 'periodic_enable': False,
                    'debug': False},
        'metrics': {'port': harness.free_port() if variant.metrics else 0}})
    process = stack.enter_context(harness.running(
        harness.svcframe_binary('svcframe-compute', config), scratch, key,
        extra_env=harness.backend_env(variant.backend)))
    conf = harness.make_conf(DEFAULT={'transport_url': url})
    size_connection_pool(conf, pool_size)
    transport = rpc.create_transport(conf)
    stack.callback(transport.cleanup)
    api = ComputeAPI(transport, conf)
    context = svcframe_context.get_admin_context()
    wait_for_ping(lambda timeout: api.ping(context, host, arg='ready', timeout=timeout),
                  process, scratch / (key + '.out'), 'svcframe-compute')
    check_backend(scratch / (key + '.out'), variant)
    return Subject(key, variant.name, lambda: api.ping(context, host, arg='ping',
                                                       timeout=CALL_TIMEOUT), process.pid)


def check_backend(output: Path, variant: Variant) -> None:
    """The server says it runs on the backend it was given, or the run ends."""
    said = 'runs on the %s backend' % variant.backend
    if said not in output.read_text(errors='replace'):
        raise harness.BenchError('%s: no "%s" in its output:\n%s'
                                 % (variant.name, said, harness.tail(output)))


def check_client_threads() -> None:
    """This process calls from native threads, whatever backend the server runs.

    svcframe's modules may import eventlet here, but nothing must patch: a
    patched client would add eventlet's own costs to both subjects' calls.
    """
    if backend.current() != backend.THREADING:
        raise harness.BenchError('this process is monkey-patched by eventlet: the client '
                                 'must run on native threads for every subject')


def start_subject(key: str, url: str, scratch: Path, stack: contextlib.ExitStack,
                  pool_size: int) -> Subject:
    if key == 'bare':
        return bare_subject(url, scratch, stack, pool_size)
    return svcframe_subject(VARIANTS[key], url, scratch, stack, pool_size)


def bare_subject(url: str, scratch: Path, stack: contextlib.ExitStack,
                 pool_size: int) -> Subject:
    """bare_rpc_server.py started, and a bare client's ping bound to it."""
    process = stack.enter_context(harness.running(
        harness.bench_script('bare_rpc_server.py', url, BARE_HOST), scratch, 'bare'))
    # The global CONF, as a plain oslo.messaging program has it: the only one
    # on which oslo.messaging registers its tracing and metrics options.
    cfg.CONF([], project='svcframe-bench', default_config_files=[])
    size_connection_pool(cfg.CONF, pool_size)
    transport = messaging.get_rpc_transport(cfg.CONF, url=url)
    stack.callback(transport.cleanup)
    client = messaging.get_rpc_client(transport, messaging.Target(topic=TOPIC,
                                                                 exchange=EXCHANGE))
    wait_for_ping(lambda timeout: client.prepare(server=BARE_HOST, timeout=timeout).call(
        {}, 'ping', arg='ready'), process, scratch / 'bare.out', 'bare_rpc_server.py')
    prepared = client.prepare(server=BARE_HOST, timeout=CALL_TIMEOUT)
    return Subject('bare', 'bare oslo.messaging (ref)',
                   lambda: prepared.call({}, 'ping', arg='ping'), process.pid)


def size_connection_pool(conf: cfg.ConfigOpts, size: int) -> None:
    """At least one connection to send on per client thread.

    Past ``rpc_conn_pool_size`` (30) a call waits for a connection to free
    up, and oslo.messaging logs a warning for each wait; the limit would then
    be measured rather than the servers. Both clients get the same size.
    """
    for group, options in messaging_opts.list_opts():
        if group == 'oslo_messaging_rabbit':
            conf.register_opts(options, group=group)
    conf.set_override('rpc_conn_pool_size', max(size, 30), group='oslo_messaging_rabbit')


def wait_for_ping(ping: Callable[[float], object], process: subprocess.Popen,
                  output: Path, what: str) -> None:
    """Until a ping is answered: the server consumes its queue only once started."""
    def answered() -> bool:
        try:
            ping(2.0)
            return True
        except messaging.MessagingTimeout:
            return False
    harness.wait_until(answered, process, output, '%s answering ping' % what,
                       timeout=READY_TIMEOUT)


# --- report ---------------------------------------------------------------

def print_table(results: dict[int, dict[str, Cell]], subjects: list[Subject]) -> None:
    """Ratios to the bare server; they read nan when it was left out (--subjects)."""
    print('%5s %-28s %8s %6s %7s %6s %7s %6s %9s %6s %9s %6s' % (
        'conc', 'server', 'calls/s', 'ratio', 'p50 ms', 'ratio', 'p99 ms', 'ratio',
        'srv us/c', 'ratio', 'cli us/c', 'errors'))
    for concurrency, cells in results.items():
        ref = cells.get('bare', MISSING)
        for subject in subjects:
            cell = cells[subject.key]
            print('%5d %-28s %8.0f %6.2f %7.2f %6.2f %7.2f %6.2f %9.0f %6.2f %9.0f %6d' % (
                concurrency, subject.name, cell.rate, cell.rate / ref.rate,
                cell.latency_ms(50), cell.latency_ms(50) / ref.latency_ms(50),
                cell.latency_ms(99), cell.latency_ms(99) / ref.latency_ms(99),
                cell.cpu_us_per_call(cell.server_cpu),
                cell.cpu_us_per_call(cell.server_cpu) / ref.cpu_us_per_call(ref.server_cpu),
                cell.cpu_us_per_call(cell.client_cpu), cell.errors))


def goals_at(concurrency: int) -> list[tuple[str, str, str, float]]:
    """(label, subject, reference, target) of each goal stated at ``concurrency``."""
    goals = [('svcframe / bare calls/s', 'svcframe', 'bare', GOAL),
             ('metrics on / off calls/s', 'svcframe-metrics', 'svcframe', METRICS_GOAL)]
    if concurrency in THREADING_GOALS:
        goals.append(('threading / eventlet calls/s', 'svcframe-threading', 'svcframe',
                      THREADING_GOALS[concurrency]))
    return goals


def print_goals(results: dict[int, dict[str, Cell]]) -> None:
    print('%-48s %6s %6s %9s  %-7s %s' % ('goal', 'ratio', 'median', 'target', 'result',
                                          'ratio in each round'))
    for concurrency, cells in results.items():
        for label, key, reference, target in goals_at(concurrency):
            label = '%s, concurrency %d' % (label, concurrency)
            if key in cells and reference in cells:
                print_goal(label, cells[key], cells[reference], target)
            else:
                print('%-48s %6s %6s %9s  %-7s' % (label, '', '', '>= %5.2f' % target,
                                                   'not run'))


def print_goal(label: str, mine: Cell, reference: Cell, target: float) -> None:
    """The ratio of the pooled calls decides; the median of the rounds is beside it."""
    ratio = mine.rate / reference.rate
    # Each round's ratio pairs two runs next to each other in time; their
    # spread shows how much of a miss is the machine's noise.
    per_round = [one / other for one, other in zip(mine.rates, reference.rates, strict=True)]
    print('%-48s %6.3f %6.3f >= %5.2f  %-7s %s' % (
        label, ratio, statistics.median(per_round), target,
        'PASS' if ratio >= target else 'MISS', ' '.join('%.2f' % r for r in per_round)))


# --- main -----------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=float, default=5.0,
                        help='measured seconds of one run: one server, one concurrency, '
                             'one round (default 5)')
    parser.add_argument('--warmup', type=float, default=1.0,
                        help='unmeasured seconds before each measured run; 0 for none '
                             '(default 1)')
    parser.add_argument('--rounds', type=int, default=4,
                        help='measured runs per server and concurrency, the order of the '
                             'servers alternating; their calls and latencies are pooled '
                             '(default 4)')
    parser.add_argument('--concurrency', type=int, nargs='+', default=[1, 50],
                        help='client threads calling at once, one cell each (default 1 50)')
    parser.add_argument('--subjects', type=subject_keys, default=list(SUBJECT_KEYS),
                        help='servers to run, comma-separated, of: %s (default all); '
                             'a goal whose servers are left out says "not run"'
                             % ', '.join(SUBJECT_KEYS))
    return parser.parse_args()


def subject_keys(text: str) -> list[str]:
    """``--subjects``: known keys, kept in SUBJECT_KEYS' order."""
    wanted = [key.strip() for key in text.split(',') if key.strip()]
    unknown = [key for key in wanted if key not in SUBJECT_KEYS]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError('%r: subjects are comma-separated keys of: %s'
                                         % (text, ', '.join(SUBJECT_KEYS)))
    return [key for key in SUBJECT_KEYS if key in wanted]


def run(args: argparse.Namespace) -> None:
    # The stack unwinds in reverse: clients' transports, servers, then the vhost.
    with harness.rabbit_vhost('svcframe-bench-rpc') as url, \
            tempfile.TemporaryDirectory(prefix='svcframe-bench-rpc-') as scratch, \
            contextlib.ExitStack() as stack:
        harness.progress(SCRIPT, 'starting the servers on %s' % url)
        pool_size = max(args.concurrency)
        subjects = [start_subject(key, url, Path(scratch), stack, pool_size)
                    for key in args.subjects]
        check_client_threads()
        results = {c: measure(subjects, c, args) for c in args.concurrency}
    print('RPC ping on RabbitMQ (127.0.0.1, a vhost of its own), %d round(s) x %.0f s per '
          'cell, each after %.0f s warm-up, %d CPUs' % (args.rounds, args.duration, args.warmup,
                                                  os.cpu_count() or 0))
    print('Client: this process, native threads (not monkey-patched), the same for every '
          'server; svcframe-compute on the backend its name says (eventlet unless named)')
    print()
    print_table(results, subjects)
    print()
    print_goals(results)


def main() -> None:
    args = parse_args()
    harness.main_guard(SCRIPT, lambda: run(args))


if __name__ == '__main__':
    main()
