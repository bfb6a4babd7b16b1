"""The servers bench/http_bench.py measures, and how each is started and stopped.

Every server runs on a free port of 127.0.0.1, in a session of its own, with
its output in a file of the caller's scratch directory, and is stopped by its
pid (SIGTERM, then SIGKILL) together with anything left in its process group.
The trivial app of bench/trivial_app.py is imported from bench/ (PYTHONPATH).
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
import sysconfig
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
PASTE = ROOT / 'etc' / 'svcframe' / 'api-paste.ini'
# Where pip puts the console scripts of the running interpreter's environment.
UWSGI = Path(sysconfig.get_path('scripts')) / 'uwsgi'
UWSGI_PACKAGE = 'pyuwsgi'  # a binary wheel of uWSGI: no compiler needed
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
# noauth on loopback; through svcframe.wsgi.api (gunicorn) noauth needs it said.
allow_insecure_noauth = True

[wsgi]
api_paste_config = {paste}
"""

# svcframe-api serves the app named "api" of its paste file.
TRIVIAL_PASTE = """\
[app:api]
paste.app_factory = trivial_app:app_factory
"""


class BenchError(Exception):
    """A server or a tool did not do what the benchmark needs; ends the run."""


@dataclasses.dataclass
class Launch:
    """How to start one server: its command line, extra environment, output file."""

    argv: list[str]
    env: dict[str, str]
    output: Path
    # Run first, with the same environment: svcframe-manage db sync, as the
    # API refuses a database never migrated.
    setup: list[str] | None = None


@dataclasses.dataclass
class Subject:
    """A server under test; ``build(port, scratch)`` says how to start it there.

    ``prepare`` installs what it needs, once, before the first start; ``sigterm``
    says whether it is in the SIGTERM-under-load rows.
    """

    key: str
    name: str
    build: Callable[[int, Path], Launch]
    sigterm: bool = True
    prepare: Callable[[], None] | None = None


def reference(port: int, scratch: Path) -> Launch:
    return Launch([sys.executable, str(HERE / 'raw_eventlet_server.py'), str(port)],
                  {}, scratch / ('reference-%d.out' % port))


def write_api_config(scratch: Path, tag: str, port: int, workers: int,
                     paste: Path = PASTE) -> Path:
    path = scratch / (tag + '.conf')
    path.write_text(API_CONFIG.format(port=port, workers=workers, paste=paste))
    return path


def bench_pythonpath() -> dict[str, str]:
    """PYTHONPATH with bench/ first, so that ``trivial_app`` imports."""
    paths = [str(HERE)] + [path for path in os.environ.get('PYTHONPATH', '').split(os.pathsep)
                           if path]
    return {'PYTHONPATH': os.pathsep.join(paths)}


def db_sync(config: Path) -> list[str]:
    return [str(BIN / 'svcframe-manage'), '--config-file', str(config), 'db', 'sync']


def svcframe_launch(tag: str, config: Path, scratch: Path, env: dict[str, str]) -> Launch:
    # A log file rather than a pipe that nobody reads: a full pipe would
    # block the server. The access line per request stays: it is on by
    # default in svcframe-api.
    return Launch([str(BIN / 'svcframe-api'), '--config-file', str(config),
                   '--log-file', str(scratch / (tag + '.log'))],
                  env, scratch / (tag + '.out'), setup=db_sync(config))


def svcframe_api(workers: int, metrics: bool = False,
                 backend: str = 'eventlet') -> Callable[[int, Path], Launch]:
    """svcframe-api with the shipped paste pipeline; ``metrics``: with
    [metrics] port set, so that every request is measured; ``backend``:
    SVCFRAME_BACKEND in its environment."""
    def build(port: int, scratch: Path) -> Launch:
        tag = 'svcframe-api-%dw-%s%s%d' % (workers, 'metrics-' if metrics else '',
                                           '' if backend == 'eventlet' else backend + '-', port)
        config = write_api_config(scratch, tag, port, workers)
        if metrics:
            with open(config, 'a') as extra:
                extra.write('[metrics]\nport = %d\n' % free_port())
        return svcframe_launch(tag, config, scratch, {'SVCFRAME_BACKEND': backend})
    return build


def svcframe_trivial(port: int, scratch: Path) -> Launch:
    """svcframe-api, one worker, serving the trivial app instead of the pipeline."""
    tag = 'svcframe-trivial-%d' % port
    paste = scratch / (tag + '-paste.ini')
    paste.write_text(TRIVIAL_PASTE)
    config = write_api_config(scratch, tag, port, 1, paste)
    return svcframe_launch(tag, config, scratch, bench_pythonpath())


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
                      {'SVCFRAME_CONFIG_FILES': str(config)}, scratch / (tag + '.out'),
                      setup=db_sync(config))
    return build


UWSGI_OPTIONS = [
    # No master: one process, as the reference and svcframe-trivial are, and
    # SIGTERM ends it.
    '--processes', '1',
    '--module', 'trivial_app:app',
    '--need-app',  # exit when the app does not import, rather than answer 500s
    # One connection per request, said in the response so that wrk reconnects
    # instead of counting a read error. Keep-alive (--http11-socket) would
    # let one process without threads serve the first connection wrk opens
    # for the whole run while the other connections wait unanswered, unseen
    # in wrk's figures: a run at one connection, not at --connections.
    '--add-header', 'Connection: close',
    # Its request log line stays on (no --disable-logging), written to its
    # output file as the reference's is.
]


def uwsgi_one_process(port: int, scratch: Path) -> Launch:
    """uWSGI, one process without threads, serving the trivial app over HTTP."""
    return Launch([str(UWSGI), *UWSGI_OPTIONS, '--http-socket', '%s:%d' % (HOST, port)],
                  bench_pythonpath(), scratch / ('uwsgi-1-%d.out' % port))


def ensure_uwsgi() -> None:
    """Install uWSGI (pyuwsgi) into this interpreter's environment when missing."""
    if not UWSGI.exists():
        print('uwsgi is not installed; installing %s with pip' % UWSGI_PACKAGE, file=sys.stderr)
        installed = subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet',
                                    UWSGI_PACKAGE], stdin=subprocess.DEVNULL)
        if installed.returncode != 0 or not UWSGI.exists():
            raise BenchError('uwsgi is not installed and `%s -m pip install %s` did not install '
                             'it at %s; install it there, or leave out uwsgi-1 with --only'
                             % (sys.executable, UWSGI_PACKAGE, UWSGI))
    check_uwsgi()


def check_uwsgi() -> None:
    """Fail early, with uWSGI's own words, when its command cannot serve HTTP."""
    try:
        usage = subprocess.run([str(UWSGI), '--help'], capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BenchError('%s --help failed: %s' % (UWSGI, error)) from error
    if '--http-socket' not in usage.stdout:
        raise BenchError('%s has no --http-socket option; --help printed:\n%s'
                         % (UWSGI, (usage.stdout + usage.stderr)[-2000:]))


SUBJECTS = [
    Subject('reference', 'raw eventlet (reference)', reference),
    Subject('svcframe-trivial', 'svcframe-api trivial app', svcframe_trivial, sigterm=False),
    Subject('svcframe-1', 'svcframe-api, 1 worker', svcframe_api(1)),
    Subject('svcframe-1-metrics', 'svcframe-api, 1 worker, metrics on',
            svcframe_api(1, metrics=True), sigterm=False),
    Subject('svcframe-1-threading', 'svcframe-api, 1 worker, native threads',
            svcframe_api(1, backend='threading')),
    Subject('svcframe-2', 'svcframe-api, 2 workers', svcframe_api(2)),
    Subject('gunicorn-2', 'gunicorn sync, 2 workers', gunicorn_sync(2)),
    Subject('uwsgi-1', 'uWSGI trivial app, 1 proc', uwsgi_one_process, sigterm=False,
            prepare=ensure_uwsgi),
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
    if launch.setup:
        done = subprocess.run(launch.setup, env=env, cwd=scratch, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=START_TIMEOUT)
        if done.returncode != 0:
            raise BenchError('%s: %s failed:\n%s' % (subject.name, ' '.join(launch.setup),
                                                       done.stderr[-2000:]))
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


def keeps_alive(port: int) -> bool:
    """Whether two requests in a row on one connection are both answered on it."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        for _ in range(2):
            connection.request('GET', '/')
            response = connection.getresponse()
            response.read()
            # http.client drops its socket when the server says it closes.
            if connection.sock is None:
                return False
        return True
    except (OSError, http.client.HTTPException):
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
