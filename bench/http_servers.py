"""The servers bench/http_bench.py measures, and how each is started and stopped.

Every server runs on a free port of 127.0.0.1, in a session of its own, with
its output in a file of the caller's scratch directory, and is stopped by its
pid (SIGTERM, then SIGKILL) together with anything left in its process group.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
PASTE = ROOT / 'etc' / 'svcframe' / 'api-paste.ini'
HOST = '127.0.0.1'
START_TIMEOUT = 60.0
# Bounds the stop of a server once the benchmark is done with it; the
# SIGTERM rows of bench/http_bench.py have their own bound (--stop-timeout).
CLEANUP_TIMEOUT = 30.0

API_CONFIG = """\
[DEFAULT]
debug = False

[api]
port = {port}
workers = {workers}

[wsgi]
api_paste_config = {paste}
"""


class BenchError(Exception):
    """A server or a tool did not do what the benchmark needs; ends the run."""


@dataclasses.dataclass
class Launch:
    """How to start one server: its command line, extra environment, output file."""

    argv: list[str]
    env: dict[str, str]
    output: Path


@dataclasses.dataclass
class Subject:
    """A server under test; ``build(port, scratch)`` says how to start it there."""

    key: str
    name: str
    build: Callable[[int, Path], Launch]


def reference(port: int, scratch: Path) -> Launch:
    return Launch([sys.executable, str(HERE / 'raw_eventlet_server.py'), str(port)],
                  {}, scratch / ('reference-%d.out' % port))


def write_api_config(scratch: Path, tag: str, port: int, workers: int) -> Path:
    path = scratch / (tag + '.conf')
    path.write_text(API_CONFIG.format(port=port, workers=workers, paste=PASTE))
    return path


def svcframe_api(workers: int) -> Callable[[int, Path], Launch]:
    def build(port: int, scratch: Path) -> Launch:
        tag = 'svcframe-api-%dw-%d' % (workers, port)
        config = write_api_config(scratch, tag, port, workers)
        # A log file rather than a pipe that nobody reads: a full pipe would
        # block the server. The access line per request stays: it is part of
        # svcframe-api's default pipeline.
        return Launch([str(BIN / 'svcframe-api'), '--config-file', str(config),
                       '--log-file', str(scratch / (tag + '.log'))],
                      {}, scratch / (tag + '.out'))
    return build


def gunicorn_sync(workers: int) -> Callable[[int, Path], Launch]:
    def build(port: int, scratch: Path) -> Launch:
        tag = 'gunicorn-%dw-%d' % (workers, port)
        # gunicorn ignores [api] port and workers; the app reads the rest.
        config = write_api_config(scratch, tag, port, workers)
        # Without --access-logfile gunicorn writes no access log. The app's
        # own request log line goes to the output file.
        return Launch([str(BIN / 'gunicorn'), '--workers', str(workers),
                       '--bind', '%s:%d' % (HOST, port),
                       '--log-file', str(scratch / (tag + '.log')),
                       'svcframe.wsgi.api:application'],
                      {'SVCFRAME_CONFIG_FILES': str(config)}, scratch / (tag + '.out'))
    return build


SUBJECTS = [
    Subject('reference', 'raw eventlet (reference)', reference),
    Subject('svcframe-1', 'svcframe-api, 1 worker', svcframe_api(1)),
    Subject('svcframe-2', 'svcframe-api, 2 workers', svcframe_api(2)),
    Subject('gunicorn-2', 'gunicorn sync, 2 workers', gunicorn_sync(2)),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(subject: Subject, scratch: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """Start ``subject`` on a free port, wait until it answers, stop it after."""
    port = free_port()
    launch = subject.build(port, scratch)
    # svcframe keeps local state under XDG_STATE_HOME: keep it in scratch.
    env = dict(os.environ, XDG_STATE_HOME=str(scratch), HOME=str(scratch), **launch.env)
    with open(launch.output, 'wb') as output:
        # A session of its own, so that workers left behind can be found by
        # the process group id, and Ctrl-C reaches only the benchmark.
        process = subprocess.Popen(launch.argv, env=env, cwd=scratch,
                                   stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_answering(subject, process, port, launch.output)
        yield process, port
    finally:
        stop_process(process, CLEANUP_TIMEOUT)


def wait_until_answering(subject: Subject, process: subprocess.Popen, port: int,
                         output: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not answers(port):
        if process.poll() is not None:
            raise BenchError('%s exited with %s before answering on port %d; it printed:\n%s'
                             % (subject.name, process.returncode, port, tail(output)))
        if time.monotonic() > deadline:
            raise BenchError('%s did not answer GET / on port %d within %.0f s; it printed:\n%s'
                             % (subject.name, port, START_TIMEOUT, tail(output)))
        time.sleep(0.1)


def answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request('GET', '/')
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def tail(path: Path, lines: int = 20) -> str:
    return '\n'.join(path.read_text(errors='replace').splitlines()[-lines:])


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM by pid, SIGKILL after ``timeout``; then kill what is left of its group."""
    try:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            wait_or_kill(process, timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        # Workers outlive a supervisor that was killed; their group id is the
        # supervisor's pid, as it leads its own session.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def wait_or_kill(process: subprocess.Popen, timeout: float) -> bool:
    """Wait for ``process`` to exit; kill it after ``timeout``. True when it had to be killed."""
    try:
        process.wait(timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return True
