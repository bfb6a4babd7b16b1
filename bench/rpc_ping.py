"""RPC ping round trip: svcframe-compute and its client against bare oslo.messaging.

Run from the repository root, with RabbitMQ on 127.0.0.1:5672:

    .venv/bin/python bench/rpc_ping.py

Two servers on a RabbitMQ vhost of the run's own: a real ``svcframe-compute``
process, called through ``svcframe.rpcapi.compute.ComputeAPI.ping``, and the
reference, a bare oslo.messaging RPC server (bench/bare_rpc_server.py, the
eventlet executor, one endpoint) called through a bare
``get_rpc_client(...).prepare(server=host).call({}, 'ping', arg=...)``. This
process calls both from threads (oslo.messaging's threading model, no
monkey-patching), at each concurrency, for a fixed time per cell after a
warm-up, and reports calls/s and latency as ratios to the reference.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
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

def svcframe_subject(url: str, scratch: Path, stack: contextlib.ExitStack,
                     pool_size: int, metrics_port: int = 0) -> Subject:
    """svcframe-compute started, and a ComputeAPI ping bound to it; with
    ``metrics_port``, one that measures every request it handles."""
    key = 'svcframe-metrics' if metrics_port else 'svcframe'
    host = '%s-%s' % (COMPUTE_HOST, key)
    config = harness.write_config(scratch / (key + '.conf'), {
        'DEFAULT': {'transport_url': url, 'host': host, 'periodic_enable': False,
                    'debug': False},
        'metrics': {'port': metrics_port}})
    process = stack.enter_context(harness.running(
        harness.svcframe_binary('svcframe-compute', config), scratch, key))
    conf = harness.make_conf(DEFAULT={'transport_url': url})
    size_connection_pool(conf, pool_size)
    transport = rpc.create_transport(conf)
    stack.callback(transport.cleanup)
    api = ComputeAPI(transport, conf)
    context = svcframe_context.get_admin_context()
    wait_for_ping(lambda timeout: api.ping(context, host, arg='ready', timeout=timeout),
                  process, scratch / (key + '.out'), 'svcframe-compute')
    name = 'svcframe-compute, metrics on' if metrics_port else 'svcframe-compute'
    return Subject(key, name, lambda: api.ping(context, host, arg='ping',
                                               timeout=CALL_TIMEOUT), process.pid)


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
    print('%5s %-28s %8s %6s %7s %6s %7s %6s %9s %6s %9s %6s' % (
        'conc', 'server', 'calls/s', 'ratio', 'p50 ms', 'ratio', 'p99 ms', 'ratio',
        'srv us/c', 'ratio', 'cli us/c', 'errors'))
    for concurrency, cells in results.items():
        ref = cells['bare']
        for subject in subjects:
            cell = cells[subject.key]
            print('%5d %-28s %8.0f %6.2f %7.2f %6.2f %7.2f %6.2f %9.0f %6.2f %9.0f %6d' % (
                concurrency, subject.name, cell.rate, cell.rate / ref.rate,
                cell.latency_ms(50), cell.latency_ms(50) / ref.latency_ms(50),
                cell.latency_ms(99), cell.latency_ms(99) / ref.latency_ms(99),
                cell.cpu_us_per_call(cell.server_cpu),
                cell.cpu_us_per_call(cell.server_cpu) / ref.cpu_us_per_call(ref.server_cpu),
                cell.cpu_us_per_call(cell.client_cpu), cell.errors))


def print_goals(results: dict[int, dict[str, Cell]]) -> None:
    print('%-44s %6s %9s  %-6s %s' % ('goal', 'ratio', 'target', 'result',
                                      'ratio in each round'))
    for concurrency, cells in results.items():
        print_goal('svcframe / bare calls/s, concurrency %d' % concurrency,
                   cells['svcframe'], cells['bare'], GOAL)
        print_goal('metrics on / off calls/s, concurrency %d' % concurrency,
                   cells['svcframe-metrics'], cells['svcframe'], METRICS_GOAL)


def print_goal(label: str, mine: Cell, reference: Cell, target: float) -> None:
    ratio = mine.rate / reference.rate
    # The spread of the rounds shows how much of a miss is the machine's noise.
    rounds = ' '.join('%.2f' % (one / other) for one, other
                      in zip(mine.rates, reference.rates, strict=True))
    print('%-44s %6.2f >= %5.2f  %-6s %s' % (label, ratio, target,
                                             'PASS' if ratio >= target else 'MISS', rounds))


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
    return parser.parse_args()


def run(args: argparse.Namespace) -> None:
    # The stack unwinds in reverse: clients' transports, servers, then the vhost.
    with harness.rabbit_vhost('svcframe-bench-rpc') as url, \
            tempfile.TemporaryDirectory(prefix='svcframe-bench-rpc-') as scratch, \
            contextlib.ExitStack() as stack:
        harness.progress(SCRIPT, 'starting the servers on %s' % url)
        pool_size = max(args.concurrency)
        subjects = [bare_subject(url, Path(scratch), stack, pool_size),
                    svcframe_subject(url, Path(scratch), stack, pool_size),
                    svcframe_subject(url, Path(scratch), stack, pool_size,
                                     metrics_port=harness.free_port())]
        results = {c: measure(subjects, c, args) for c in args.concurrency}
    print('RPC ping on RabbitMQ (127.0.0.1, a vhost of its own), %d round(s) x %.0f s per '
          'cell, each after %.0f s warm-up, %d CPUs' % (args.rounds, args.duration, args.warmup,
                                                  os.cpu_count() or 0))
    print()
    print_table(results, subjects)
    print()
    print_goals(results)


def main() -> None:
    args = parse_args()
    harness.main_guard(SCRIPT, lambda: run(args))


if __name__ == '__main__':
    main()
