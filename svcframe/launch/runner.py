"""ServiceRunner: one service in the current process until a stop signal."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

from oslo_config import cfg
from oslo_log import log as logging
from oslo_service import systemd

from svcframe import exception
from svcframe import exit_codes
from svcframe.launch.signal_pipe import SignalPipe
from svcframe.service import Service

LOG = logging.getLogger(__name__)

ReloadConfig = Callable[[], None]


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

    def run(self, on_ready: Callable[[], None] = systemd.notify_once) -> int:
        """Start the service, serve signals until stopped; the exit code.

        ``on_ready`` runs once the service has started: by default it tells
        systemd; a worker tells its supervisor instead.
        """
        signals = SignalPipe(tuple(self.signal_handlers))
        signals.open()
        try:
            self._start()
            on_ready()
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
        if reload_or_log(self.reload_config):
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
        return exit_codes.OK
