"""ServiceRunner: one service in the current process until a stop signal."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

from oslo_config import cfg
from oslo_log import log as logging

from svcframe import backend
from svcframe import exception
from svcframe import exit_codes
from svcframe.launch import reports
from svcframe.launch.hub_watch import BlockWatch, Pinger
from svcframe.launch.protocol import Launchable
from svcframe.launch.signal_loop import SignalLoop, SignalTable
from svcframe.launch.systemd_notify import Notifier

LOG = logging.getLogger(__name__)

ReloadConfig = Callable[[], None]
# (seconds, ping): how often to tell the watchdog that this process's hub runs.
KeepAlive = tuple[float, Callable[[], None]]


def _exit_on_stop_timeout(signo: int, frame: object) -> None:
    # Only async-signal-safe calls here: the service is stuck in stop().
    os.write(2, b'graceful_shutdown_timeout exceeded; exiting now\n')
    os._exit(exit_codes.STOP_TIMEOUT)


def reload_or_log(reload_config: ReloadConfig) -> bool:
    """Apply a SIGHUP's reload; False (and a logged reason) if it was refused."""
    LOG.info('Caught SIGHUP, reloading configuration')
    try:
        reload_config()
    except exception.ConfigError as error:
        LOG.error('Configuration not reloaded, previous values kept: %s',
                  error)
        return False
    return True


class ServiceRunner:
    """Runs one service in the current process until a stop signal.

    Its ``signal_handlers`` are the one table of what each signal does, from
    the moment the process starts the service: while start() still runs,
    SIGTERM stops it and SIGHUP reloads the configuration at once and resets
    the service once it has started.
    """

    def __init__(self, service: Launchable, conf: cfg.ConfigOpts,
                 reload_config: ReloadConfig,
                 parent_fd: int | None = None, notifier: Notifier | None = None,
                 keepalive: KeepAlive | None = None) -> None:
        self.service = service
        self.conf = conf
        self.reload_config = reload_config
        # In a worker: the read end of a pipe the supervisor holds open; it
        # reads as end-of-file once the supervisor is gone.
        self.parent_fd = parent_fd
        self.notifier = notifier or Notifier(None, None)
        # A worker pings its supervisor; a single process, systemd itself.
        watchdog = self.notifier.watchdog_seconds
        self.keepalive = keepalive or ((watchdog / 2, self.notifier.watchdog)
                                       if watchdog else None)
        self._exit_code: int | None = None
        self._starting = False
        self._reset_when_started = False
        self.signal_handlers: SignalTable = {
            signal.SIGTERM: self.handle_term,
            signal.SIGINT: self.handle_term,
            signal.SIGHUP: self.handle_hup,
            signal.SIGUSR2: self.handle_usr2,
        }

    def run(self, on_ready: Callable[[], None] | None = None) -> int:
        """Start the service, serve signals until stopped; the exit code.

        ``on_ready`` runs once the service has started: by default it tells
        systemd; a worker tells its supervisor instead.
        """
        loop = SignalLoop(self.signal_handlers)
        loop.open()
        # From the start: a start() that waits for the broker keeps the hub
        # running, and must not be taken for a stuck process.
        watchers = self._watch_hub()
        try:
            if not self._start(loop):
                return self._exit_code  # stopped before it had started
            (on_ready or self.notifier.ready)()
            also = () if self.parent_fd is None else (self.parent_fd,)
            loop.run_until(lambda: self._exit_code is not None, also=also,
                           on_readable=self._parent_gone)
            return self._exit_code
        finally:
            for watcher in watchers:
                watcher.stop()
            loop.close()

    def _watch_hub(self) -> list[Pinger | BlockWatch]:
        """Keep the watchdog fed while the hub runs; warn when it was blocked."""
        watchers: list[Pinger | BlockWatch] = []
        if self.keepalive:
            watchers.append(Pinger(*self.keepalive))
        # Native threads have no hub to hold: one stuck thread stops no
        # other, and a C call that holds the GIL stops the pings as well.
        if self.conf.hub_block_warning_seconds and backend.current() == backend.EVENTLET:
            watchers.append(BlockWatch(self.conf.hub_block_warning_seconds,
                                       self.service.binary))
        for watcher in watchers:
            watcher.start()
        return watchers

    def _start(self, loop: SignalLoop) -> bool:
        """Start the service while still serving signals; False if stopped.

        start() can block for long, as when the message broker is down and
        oslo.messaging retries; it runs in a thread of its own (green, in
        the binaries) so that SIGTERM still stops the service meanwhile.
        """
        done_fd, done_write_fd = os.pipe()
        failure: list[BaseException] = []
        finished: list[bool] = []

        def start() -> None:
            # This thread owns the write end: a start() that outlives a stop
            # must not write to a descriptor number that was reused.
            try:
                self.service.start()
            except BaseException as error:  # noqa: BLE001 - reported below
                failure.append(error)
            finally:
                try:
                    os.write(done_write_fd, b'.')
                except OSError:
                    pass  # nobody waits any more
                os.close(done_write_fd)

        self._starting = True
        threading.Thread(target=start, name='start', daemon=True).start()
        try:
            loop.run_until(lambda: bool(finished) or self._exit_code is not None,
                           also=(done_fd,), on_readable=lambda fds: finished.append(True))
        finally:
            self._starting = False
            os.close(done_fd)
        if self._exit_code is not None:
            return False
        if failure:
            self._fail_start(failure[0])
        if self._reset_when_started:
            self.service.reset()
        return True

    def _fail_start(self, error: BaseException) -> None:
        if isinstance(error, exception.SvcframeError):
            LOG.error('%s failed to start: %s', self.service.binary, error)
        else:
            LOG.error('%s failed to start', self.service.binary, exc_info=error)
        self._stop()
        raise exception.ServiceStartError(self.service.binary, str(error)) from error

    def _parent_gone(self, readable: list[int]) -> None:
        LOG.warning('Supervisor process is gone; stopping')
        self.handle_term()

    def handle_term(self) -> None:
        if self._starting:
            LOG.info('Stopping %s, which has not finished starting', self.service.binary)
        else:
            LOG.info('Stopping %s gracefully', self.service.binary)
        self._exit_code = self._stop()

    def handle_hup(self) -> None:
        reloaded = reload_or_log(self.reload_config)
        if reloaded and self._starting:
            self._reset_when_started = True  # applied now, reset once started
        elif reloaded:
            self.service.reset()

    def handle_usr2(self) -> None:
        # Also while start() still runs: most useful when it hangs.
        reports.write_report(self.conf, self.service.binary)

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
        return exit_codes.OK
