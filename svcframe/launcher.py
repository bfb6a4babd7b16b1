"""Run a service in this process, or in worker processes under a supervisor.

Signal handlers only note a signal: Python's wakeup fd writes its number into
a pipe, and one loop reads the pipe and dispatches through a table (``signal_handlers``
below), the way gunicorn's arbiter does. Because the loop waits on a file
descriptor, a signal wakes it at once even when eventlet's hub is asleep;
oslo.service's eventlet launcher can sleep through SIGTERM for a minute.

Signal table, for a single process and for each worker:
    SIGTERM, SIGINT  stop gracefully within graceful_shutdown_timeout, exit 0
    SIGHUP           reload config files (mutable options change), reset()
For the supervisor of several workers:
    SIGTERM, SIGINT  SIGTERM every worker, wait for them, exit 0
    SIGHUP           reload config files, forward SIGHUP to every worker
    SIGCHLD          reap workers and start a new one for each that died

The launcher knows nothing of configuration files: it is handed
``reload_config``, a callable that re-reads them.
"""

from __future__ import annotations

import errno
import os
import random
import select
import signal
import sys
import time
from collections.abc import Callable

from oslo_config import cfg
from oslo_log import log as logging
from oslo_service import systemd

from svcframe import exception
from svcframe.service import Service

LOG = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_START_FAILED = 3
EXIT_STOP_TIMEOUT = 4

# A worker that dies sooner than this after its start is replaced only after
# this long, so a worker that cannot start does not make a fork loop.
RESPAWN_MIN_SECONDS = 1.0

ReloadConfig = Callable[[], None]


class SignalPipe:
    """Signals delivered as bytes on a pipe that a loop can wait on."""

    def __init__(self, signals: tuple[int, ...]) -> None:
        self.signals = signals
        self._read_fd = -1
        self._write_fd = -1

    def open(self) -> None:
        """Install the handlers, then unblock the signals.

        A supervisor blocks them across fork() so that a new worker cannot
        be killed by a signal before its own handlers are in place.
        """
        self._read_fd, self._write_fd = os.pipe()
        for fd in (self._read_fd, self._write_fd):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self._write_fd)
        for signo in self.signals:
            signal.signal(signo, _note_signal)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, self.signals)

    def close(self) -> None:
        for signo in self.signals:
            signal.signal(signo, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        for fd in (self._read_fd, self._write_fd):
            if fd >= 0:
                os.close(fd)
        self._read_fd = self._write_fd = -1

    def wait(self, timeout: float | None = None,
             also: tuple[int, ...] = ()) -> tuple[list[int], list[int]]:
        """Wait for signals or for one of the ``also`` fds to be readable.

        Returns (signal numbers received, ``also`` fds that are readable).
        """
        try:
            readable, _, _ = select.select(
                [self._read_fd, *also], [], [], timeout)
        except InterruptedError:
            readable = []
        received: list[int] = []
        if self._read_fd in readable:
            received = list(os.read(self._read_fd, 512))
        return received, [fd for fd in readable if fd != self._read_fd]


def _note_signal(signo: int, frame: object) -> None:
    """Nothing to do: the wakeup fd has already recorded the signal."""


def _exit_on_stop_timeout(signo: int, frame: object) -> None:
    # Only async-signal-safe calls here: the service is stuck in stop().
    os.write(2, b'graceful_shutdown_timeout exceeded; exiting now\n')
    os._exit(EXIT_STOP_TIMEOUT)


class ServiceRunner:
    """Runs one service in the current process until a stop signal."""

    def __init__(self, service: Service, conf: cfg.ConfigOpts,
                 reload_config: ReloadConfig,
                 parent_fd: int | None = None) -> None:
        self.service = service
        self.conf = conf
        self.reload_config = reload_config
        # In a worker: the read end of a pipe the supervisor holds open; it
        # reads as end-of-file once the supervisor is gone.
        self.parent_fd = parent_fd
        self._exit_code: int | None = None
        self.signal_handlers: dict[int, Callable[[], None]] = {
            signal.SIGTERM: self.handle_term,
            signal.SIGINT: self.handle_term,
            signal.SIGHUP: self.handle_hup,
        }

    def run(self, notify_ready: bool = True) -> int:
        """Start the service, serve signals until stopped; return the exit code."""
        signals = SignalPipe(tuple(self.signal_handlers))
        signals.open()
        try:
            self._start()
            if notify_ready:
                systemd.notify_once()
            also = () if self.parent_fd is None else (self.parent_fd,)
            while self._exit_code is None:
                received, parent_gone = signals.wait(also=also)
                if parent_gone:
                    LOG.warning('Supervisor process is gone; stopping')
                    self.handle_term()
                for signo in received:
                    if self._exit_code is None:
                        self.signal_handlers[signo]()
            return self._exit_code
        finally:
            signals.close()

    def _start(self) -> None:
        try:
            self.service.start()
        except Exception as error:
            if isinstance(error, exception.SvcframeError):
                LOG.error('%s failed to start: %s', self.service.binary, error)
            else:
                LOG.exception('%s failed to start', self.service.binary)
            self._stop()
            raise exception.ServiceStartError(
                self.service.binary, str(error)) from error

    def handle_term(self) -> None:
        LOG.info('Stopping %s gracefully', self.service.binary)
        self._exit_code = self._stop()

    def handle_hup(self) -> None:
        if _reload(self.reload_config):
            self.service.reset()

    def _stop(self) -> int:
        timeout = self.conf.graceful_shutdown_timeout
        if timeout:
            previous = signal.signal(signal.SIGALRM, _exit_on_stop_timeout)
            signal.alarm(timeout)
        try:
            self.service.stop()
            self.service.wait()
        finally:
            if timeout:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, previous)
        return EXIT_OK


def _reload(reload_config: ReloadConfig) -> bool:
    LOG.info('Caught SIGHUP, reloading configuration')
    try:
        reload_config()
    except exception.ConfigError as error:
        LOG.error('Configuration not reloaded: %s', error)
        return False
    return True


class WorkerSupervisor:
    """Forks ``workers`` processes that each run the service, and keeps them."""

    def __init__(self, service: Service, conf: cfg.ConfigOpts,
                 reload_config: ReloadConfig, workers: int) -> None:
        self.service = service
        self.conf = conf
        self.reload_config = reload_config
        self.workers = workers
        self.children: dict[int, float] = {}  # pid -> time it was started
        self._exit_code: int | None = None
        self._stopping = False
        self._signals = SignalPipe(())
        # Workers watch the read end; the supervisor alone keeps the write
        # end, so workers read end-of-file once it is gone.
        self._parent_fd = self._keep_open_fd = -1
        self.signal_handlers: dict[int, Callable[[], None]] = {
            signal.SIGTERM: self.handle_term,
            signal.SIGINT: self.handle_term,
            signal.SIGHUP: self.handle_hup,
            signal.SIGCHLD: self.handle_chld,
        }

    def run(self) -> int:
        self._signals = SignalPipe(tuple(self.signal_handlers))
        self._signals.open()
        self._parent_fd, self._keep_open_fd = os.pipe()
        try:
            LOG.info('Starting %d workers of %s', self.workers,
                     self.service.binary)
            for _ in range(self.workers):
                self._spawn()
            systemd.notify_once()
            while self._exit_code is None:
                received, _ = self._signals.wait()
                for signo in received:
                    if self._exit_code is None:
                        self.signal_handlers[signo]()
            return self._exit_code
        finally:
            self._signals.close()
            os.close(self._keep_open_fd)
            os.close(self._parent_fd)

    def handle_term(self) -> None:
        LOG.info('Stopping %d workers of %s', len(self.children),
                 self.service.binary)
        self._exit_code = self._stop_workers(EXIT_OK)

    def handle_hup(self) -> None:
        if _reload(self.reload_config):
            self._signal_workers(signal.SIGHUP)

    def handle_chld(self) -> None:
        for pid, status in self._reap():
            lived = time.monotonic() - self.children.pop(pid)
            LOG.warning('Worker %d exited (%s) after %.1f s', pid,
                        _describe_status(status), lived)
            if os.waitstatus_to_exitcode(status) == EXIT_START_FAILED:
                LOG.error('A worker of %s could not start; stopping',
                          self.service.binary)
                self._exit_code = self._stop_workers(EXIT_START_FAILED)
                return
            if lived < RESPAWN_MIN_SECONDS:
                time.sleep(RESPAWN_MIN_SECONDS - lived)
            self._spawn()

    def _spawn(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, self.signal_handlers)
        pid = os.fork()
        if pid == 0:
            os._exit(self._run_worker())
        signal.pthread_sigmask(signal.SIG_UNBLOCK, self.signal_handlers)
        self.children[pid] = time.monotonic()
        LOG.info('Started worker %d', pid)

    def _run_worker(self) -> int:
        """The body of a forked worker: never returns into the supervisor."""
        try:
            self._signals.close()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            os.close(self._keep_open_fd)
            _use_fresh_event_hub()
            random.seed()
            runner = ServiceRunner(self.service, self.conf,
                                   self.reload_config, self._parent_fd)
            return runner.run(notify_ready=False)
        except exception.ServiceStartError:
            return EXIT_START_FAILED
        except BaseException:
            LOG.exception('Worker of %s failed', self.service.binary)
            return 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()

    def _signal_workers(self, signo: int) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signo)
            except ProcessLookupError:
                pass

    def _stop_workers(self, exit_code: int) -> int:
        """SIGTERM every worker and reap them; SIGKILL any left past the timeout."""
        self._signal_workers(signal.SIGTERM)
        timeout = self.conf.graceful_shutdown_timeout
        # Workers enforce the timeout themselves; the margin lets them exit.
        deadline = time.monotonic() + timeout + 5 if timeout else None
        while self.children:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                LOG.error('Workers %s did not stop in time; killing them',
                          sorted(self.children))
                self._signal_workers(signal.SIGKILL)
                deadline, exit_code = None, EXIT_STOP_TIMEOUT
                continue
            self._signals.wait(timeout=min(remaining or 1.0, 1.0))
            for pid, status in self._reap():
                del self.children[pid]
                code = os.waitstatus_to_exitcode(status)
                if code != EXIT_OK and exit_code == EXIT_OK:
                    exit_code = code if code > 0 else 1
        return exit_code

    def _reap(self) -> list[tuple[int, int]]:
        reaped = []
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            except OSError as error:
                if error.errno == errno.EINTR:
                    continue
                raise
            if pid == 0:
                break
            if pid in self.children:
                reaped.append((pid, status))
        return reaped


def _describe_status(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return 'killed by %s' % signal.Signals(-code).name
    return 'exit status %d' % code


def _use_fresh_event_hub() -> None:
    """Give a forked worker its own eventlet hub (epoll fds survive fork)."""
    eventlet = sys.modules.get('eventlet')
    if eventlet is not None:
        import eventlet.hubs
        eventlet.hubs.use_hub()


def launch(service: Service, conf: cfg.ConfigOpts,
           reload_config: ReloadConfig, workers: int = 1) -> int:
    """Run ``service`` in ``workers`` processes until stopped; the exit code.

    One worker runs in this process; more run under a supervisor that
    replaces any worker that dies.
    """
    if workers == 1:
        try:
            return ServiceRunner(service, conf, reload_config).run()
        except exception.ServiceStartError:
            return EXIT_START_FAILED  # run() has logged why
    return WorkerSupervisor(service, conf, reload_config, workers).run()
