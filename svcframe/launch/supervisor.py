"""WorkerSupervisor: forks worker processes that each run the service."""

from __future__ import annotations

import errno
import os
import random
import signal
import struct
import sys
import time

from oslo_config import cfg
from oslo_log import log as logging

from svcframe import exception
from svcframe import exit_codes
from svcframe import logs
from svcframe import metrics
from svcframe.launch import reports
from svcframe.launch.protocol import Launchable
from svcframe.launch.runner import KeepAlive, ReloadConfig, ServiceRunner, reload_or_log
from svcframe.launch.signal_loop import SignalLoop, SignalTable
from svcframe.launch.systemd_notify import Notifier

LOG = logging.getLogger(__name__)

# A worker that dies sooner than this after its start is replaced only after
# this long, so a worker that keeps crashing does not make a fork loop.
RESPAWN_MIN_SECONDS = 1.0
# Workers enforce graceful_shutdown_timeout themselves; this margin lets them
# exit before the supervisor kills them.
STOP_MARGIN_SECONDS = 5.0


class WorkerSupervisor:
    """Forks ``workers`` processes that each run the service, and keeps them."""

    def __init__(self, service: Launchable, conf: cfg.ConfigOpts,
                 reload_config: ReloadConfig, workers: int,
                 notifier: Notifier | None = None) -> None:
        self.service = service
        self.conf = conf
        self.reload_config = reload_config
        self.workers = workers
        self.notifier = notifier or Notifier(None, None)
        self.children: dict[int, float] = {}  # pid -> time it was started
        # pid -> when it last said its hub runs (or was started).
        self.alive: dict[int, float] = {}
        self._exit_code: int | None = None
        # Workers watch the read end of the parent pipe; the supervisor alone
        # keeps the write end, so workers read end-of-file once it is gone.
        # Each worker writes a byte to the ready pipe once it has started.
        self._parent_fd = self._parent_write_fd = -1
        self._ready_fd = self._ready_write_fd = -1
        # Each worker writes its pid here while its hub runs.
        self._alive_fd = self._alive_write_fd = -1
        self._started_workers = 0
        self.signal_handlers: SignalTable = {
            signal.SIGTERM: self.handle_term,
            signal.SIGINT: self.handle_term,
            signal.SIGHUP: self.handle_hup,
            signal.SIGCHLD: self.handle_chld,
            signal.SIGUSR2: self.handle_usr2,
        }
        self._loop = SignalLoop(self.signal_handlers)

    def run(self) -> int:
        self._loop.open()
        self._parent_fd, self._parent_write_fd = os.pipe()
        self._ready_fd, self._ready_write_fd = os.pipe()
        self._alive_fd, self._alive_write_fd = os.pipe()
        watchdog = self.notifier.watchdog_seconds
        try:
            LOG.info('Starting %d workers of %s', self.workers,
                     self.service.binary)
            for _ in range(self.workers):
                self._spawn()
            self._loop.run_until(
                lambda: self._exit_code is not None,
                also=(self._ready_fd, self._alive_fd), on_readable=self._read_workers,
                every=(watchdog / 4, self._feed_watchdog) if watchdog else None)
            return self._exit_code
        finally:
            self._loop.close()
            for fd in (self._parent_fd, self._parent_write_fd, self._ready_fd,
                       self._ready_write_fd, self._alive_fd, self._alive_write_fd):
                os.close(fd)

    def _read_workers(self, readable: list[int]) -> None:
        if self._ready_fd in readable:
            self._count_started_workers()
        if self._alive_fd in readable:
            data = os.read(self._alive_fd, 4096)
            now = time.monotonic()
            for (pid,) in struct.iter_unpack('i', data[:len(data) - len(data) % 4]):
                if pid in self.alive:
                    self.alive[pid] = now

    def _feed_watchdog(self) -> None:
        """WATCHDOG=1 only while every worker's hub runs: a worker stuck for
        half the watchdog interval stops the pings, and systemd restarts the
        unit."""
        stuck_after = time.monotonic() - self.notifier.watchdog_seconds / 2
        stuck = sorted(pid for pid, seen in self.alive.items() if seen < stuck_after)
        if stuck:
            LOG.warning('Worker(s) %s of %s stopped saying their event hub runs; '
                        'not feeding the systemd watchdog', stuck, self.service.binary)
            return
        self.notifier.watchdog()

    def _keepalive(self) -> KeepAlive | None:
        """What a worker sends its supervisor while its hub runs."""
        if not self.notifier.watchdog_seconds:
            return None
        write_fd = self._alive_write_fd
        return (self.notifier.watchdog_seconds / 4,
                lambda: os.write(write_fd, struct.pack('i', os.getpid())))

    def _count_started_workers(self) -> None:
        """Tell systemd READY once the first ``workers`` workers run."""
        before = self._started_workers
        self._started_workers += len(os.read(self._ready_fd, 512))
        if before < self.workers <= self._started_workers:
            LOG.info('All %d workers of %s are running', self.workers,
                     self.service.binary)
            self.notifier.ready()

    def handle_term(self) -> None:
        LOG.info('Stopping %d workers of %s', len(self.children),
                 self.service.binary)
        self._exit_code = self._stop_workers(exit_codes.OK)

    def handle_hup(self) -> None:
        if reload_or_log(self.reload_config):
            self._signal_workers(signal.SIGHUP)

    def handle_usr2(self) -> None:
        """A report from the supervisor, then one from each worker."""
        reports.write_report(self.conf, self.service.binary)
        self._signal_workers(signal.SIGUSR2)

    def handle_chld(self) -> None:
        exited = []
        for pid, status in self._reap():
            lived = time.monotonic() - self.children.pop(pid)
            self.alive.pop(pid, None)
            metrics.worker_exited(pid)
            LOG.warning('Worker %d exited (%s) after %.1f s', pid,
                        _describe_status(status), lived)
            exited.append((status, lived))
        if any(os.waitstatus_to_exitcode(status) == exit_codes.START_FAILED
               for status, _ in exited):
            LOG.error('A worker of %s could not start; stopping',
                      self.service.binary)
            self._exit_code = self._stop_workers(exit_codes.START_FAILED)
            return
        for _status, lived in exited:
            if lived < RESPAWN_MIN_SECONDS:
                time.sleep(RESPAWN_MIN_SECONDS - lived)
            self._spawn()

    def _spawn(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, self.signal_handlers)
        pid = os.fork()
        if pid == 0:
            os._exit(self._run_worker())
        signal.pthread_sigmask(signal.SIG_UNBLOCK, self.signal_handlers)
        self.children[pid] = self.alive[pid] = time.monotonic()
        LOG.info('Started worker %d', pid)

    def _run_worker(self) -> int:
        """The body of a forked worker: never returns into the supervisor."""
        try:
            logs.renew_handler_locks()  # before this process logs anything
            self._loop.close()  # the worker's runner opens a loop of its own
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            os.close(self._parent_write_fd)
            os.close(self._ready_fd)
            os.close(self._alive_fd)
            _use_fresh_event_hub()
            random.seed()
            metrics.worker_started()
            runner = ServiceRunner(self.service, self.conf, self.reload_config,
                                   self._parent_fd, keepalive=self._keepalive())
            return runner.run(
                on_ready=lambda: os.write(self._ready_write_fd, b'.'))
        except exception.ServiceStartError:
            return exit_codes.START_FAILED
        except BaseException:
            LOG.exception('Worker of %s failed', self.service.binary)
            return exit_codes.INTERNAL_ERROR
        finally:
            metrics.worker_stopping()
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
        # The service never started here; stopping it releases what the
        # supervisor holds for the workers, such as a listening socket.
        self.service.stop()
        self._signal_workers(signal.SIGTERM)
        timeout = self.conf.graceful_shutdown_timeout
        deadline = (time.monotonic() + timeout + STOP_MARGIN_SECONDS
                    if timeout else None)
        while self.children:
            if deadline is not None and time.monotonic() >= deadline:
                LOG.error('Workers %s did not stop in time; killing them',
                          sorted(self.children))
                self._signal_workers(signal.SIGKILL)
                deadline, exit_code = None, exit_codes.STOP_TIMEOUT
            self._loop.pause(timeout=1.0)  # SIGCHLD wakes it
            for pid, status in self._reap():
                del self.children[pid]
                code = os.waitstatus_to_exitcode(status)
                if code != exit_codes.OK and exit_code == exit_codes.OK:
                    exit_code = code if code > 0 else exit_codes.INTERNAL_ERROR
        return exit_code

    def _reap(self) -> list[tuple[int, int]]:
        """(pid, wait status) of every worker that has exited."""
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
    if sys.modules.get('eventlet') is not None:  # None: kept out (svcframe.backend)
        import eventlet.hubs
        eventlet.hubs.use_hub()
