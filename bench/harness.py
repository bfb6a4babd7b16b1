"""What bench/rpc_ping.py, heartbeats.py and services_list.py share.

A RabbitMQ vhost and a PostgreSQL database of the run's own, each removed
on the way out; svcframe's binaries started with a config file written for
the run, in a session of their own, and stopped by their pid; the CPU time a
process used; percentiles.

The servers are the ones the integration tests use, from the same
environment variables, defaulting to those on this machine's loopback.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import sqlalchemy
from oslo_config import cfg

from svcframe import backend
from svcframe import conf as svcframe_conf

# Re-exported: the benchmarks take every helper from here.
from http_servers import BIN, PASTE, BenchError, free_port, stop_process, tail  # noqa: F401

RABBIT_URL = os.environ.get('SVCFRAME_TEST_TRANSPORT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')
POSTGRES_URL = os.environ.get('SVCFRAME_TEST_POSTGRESQL_URL',
                              'postgresql+psycopg2://postgres@127.0.0.1:5432/')
STOP_TIMEOUT = 30.0
T = TypeVar('T')


# --- the real servers -----------------------------------------------------

@contextlib.contextmanager
def rabbit_vhost(prefix: str) -> Iterator[str]:
    """A RabbitMQ vhost of this run's own, as a transport URL; deleted after."""
    rabbitmqctl = shutil.which('rabbitmqctl')
    if rabbitmqctl is None:
        raise BenchError('rabbitmqctl is not installed: it creates the vhost of the run')
    base = urllib.parse.urlsplit(RABBIT_URL)
    vhost = '%s-%s' % (prefix, uuid.uuid4().hex[:12])
    _run([rabbitmqctl, 'add_vhost', vhost])
    try:
        _run([rabbitmqctl, 'set_permissions', '-p', vhost, base.username or 'guest',
              '.*', '.*', '.*'])
        yield urllib.parse.urlunsplit(base._replace(path='/' + vhost))
    finally:
        subprocess.run([rabbitmqctl, 'delete_vhost', vhost], capture_output=True)


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError('%s exited with %d: %s' % (' '.join(argv), done.returncode,
                                                     done.stderr.strip()))


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database of this run's own, as a URL; dropped after."""
    server = sqlalchemy.engine.make_url(POSTGRES_URL)
    name = '%s_%s' % (prefix, uuid.uuid4().hex[:12])
    admin = sqlalchemy.create_engine(server, isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql('CREATE DATABASE %s' % name)
    except sqlalchemy.exc.OperationalError as error:
        admin.dispose()
        raise BenchError('cannot create a database on %s: %s'
                         % (server.render_as_string(), error.orig)) from None
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        # FORCE: a process killed mid-run may leave a connection behind.
        with admin.connect() as connection:
            connection.exec_driver_sql('DROP DATABASE IF EXISTS %s WITH (FORCE)' % name)
        admin.dispose()


# --- configuration --------------------------------------------------------

def make_conf(**groups: dict[str, object]) -> cfg.ConfigOpts:
    """svcframe's options on a ConfigOpts of their own, no config file read.

    ``groups`` maps a group name ('DEFAULT' too) to option overrides.
    """
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf([], project='svcframe-bench', default_config_files=[])
    for group, values in groups.items():
        for name, value in values.items():
            conf.set_override(name, value, group=None if group == 'DEFAULT' else group)
    return conf


def write_config(path: Path, groups: dict[str, dict[str, object]]) -> Path:
    """An oslo.config file with one section per group."""
    lines = []
    for group, values in groups.items():
        lines.append('[%s]' % group)
        lines.extend('%s = %s' % item for item in values.items())
        lines.append('')
    path.write_text('\n'.join(lines))
    return path


# --- processes ------------------------------------------------------------

@contextlib.contextmanager
def running(argv: Sequence[str], scratch: Path, tag: str,
            extra_env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """Run ``argv`` with its output in ``scratch/<tag>.out``; stop it after, by pid.

    ``extra_env`` is added to this process's environment, such as
    ``backend_env()``'s SVCFRAME_BACKEND.
    """
    output = scratch / (tag + '.out')
    # svcframe keeps local state under XDG_STATE_HOME: keep it in scratch.
    env = dict(os.environ, XDG_STATE_HOME=str(scratch), HOME=str(scratch),
               **(extra_env or {}))
    env.pop('NOTIFY_SOCKET', None)
    with open(output, 'wb') as out:
        # A session of its own: Ctrl-C reaches only the benchmark, which then
        # stops this process and whatever it left in its group.
        process = subprocess.Popen(list(argv), env=env, cwd=scratch, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process
    finally:
        stop_process(process, STOP_TIMEOUT)


def backend_env(name: str) -> dict[str, str]:
    """The environment that puts a svcframe binary on backend ``name``.

    Always explicit, also for the default: a SVCFRAME_BACKEND left in the
    benchmark's own environment must not turn an eventlet subject into a
    threading one.
    """
    return {backend.ENVIRONMENT: name}


def svcframe_binary(name: str, config: Path) -> list[str]:
    return [str(BIN / name), '--config-file', str(config)]


def bench_script(name: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve().parent / name), *args]


def wait_until(condition: Callable[[], T], process: subprocess.Popen, output: Path,
               what: str, timeout: float = 60.0) -> T:
    """Poll ``condition`` until truthy; BenchError if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process.poll() is not None:
            raise BenchError('%s: the process exited with %s; it printed:\n%s'
                             % (what, process.returncode, tail(output)))
        if time.monotonic() > deadline:
            raise BenchError('%s: not within %.0f s; the process printed:\n%s'
                             % (what, timeout, tail(output)))
        time.sleep(0.2)


# --- measures -------------------------------------------------------------

CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid: int, children: bool = True) -> float:
    """User plus system CPU seconds of ``pid``, and of its live children (workers).

    ``children=False`` for the benchmark's own process, whose children are
    the servers it measures.
    """
    pids = [pid, *_children(pid)] if children else [pid]
    return sum(_own_cpu_seconds(p) for p in pids)


def own_cpu_seconds() -> float:
    """CPU seconds of this process alone: its threads, not the servers it started."""
    return cpu_seconds(os.getpid(), children=False)


def _own_cpu_seconds(pid: int) -> float:
    try:
        stat = Path('/proc/%d/stat' % pid).read_text()
    except FileNotFoundError:
        return 0.0
    # Fields after "(comm)": state is the 3rd field, utime the 14th, stime the 15th.
    fields = stat.rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in
                Path('/proc/%d/task/%d/children' % (pid, pid)).read_text().split()]
    except FileNotFoundError:
        return []


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` percentile (0 < q <= 100) of ``values``; nan if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- main -----------------------------------------------------------------

def progress(script: str, message: str) -> None:
    # On stderr, so that stdout holds the report alone.
    print('bench/%s: %s' % (script, message), file=sys.stderr, flush=True)


def main_guard(script: str, run: Callable[[], None]) -> None:
    """Run ``run``; a SIGTERM or Ctrl-C unwinds it, so every cleanup runs."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run()
    except BenchError as error:
        sys.exit('bench/%s: error: %s' % (script, error))
    except KeyboardInterrupt:
        sys.exit('bench/%s: interrupted; every process it started is stopped and its '
                 'vhost and database removed' % script)
