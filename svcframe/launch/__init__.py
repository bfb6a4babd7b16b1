"""Run a service in this process, or in worker processes under a supervisor.

Signal handlers only note a signal: Python's wakeup fd writes its number into
a pipe (signal_pipe.py), and one loop (signal_loop.py) reads the pipe and
dispatches through a table, ``signal_handlers``, the way gunicorn's arbiter
does: the runner's and the supervisor's tables below are the only places a
signal is handled, start-up included. Because the loop
waits on a file descriptor, a signal wakes it at once even when eventlet's hub
is asleep; oslo.service's eventlet launcher can sleep through SIGTERM for a
minute.

Signal table, for a single process and for each worker (runner.py):
    SIGTERM, SIGINT  stop gracefully within graceful_shutdown_timeout, exit 0
    SIGHUP           reload config files (mutable options change), reset()
    SIGUSR2          write a Guru Meditation Report (reports.py), keep running
For the supervisor of several workers (supervisor.py):
    SIGTERM, SIGINT  SIGTERM every worker, wait for them, exit 0
    SIGHUP           reload config files, forward SIGHUP to every worker
    SIGCHLD          reap workers and start a new one for each that died
    SIGUSR2          write the supervisor's report, forward SIGUSR2 to every worker

systemd: READY=1 once the service (every worker) runs; with WatchdogSec=,
WATCHDOG=1 every half interval from a green thread, so only while the event
hub runs (a worker pings its supervisor, which feeds systemd while every
worker does); hub_watch.py also logs the stack of code that blocked the hub.

The launcher runs any Launchable (protocol.py): Service, WSGIService,
svcframe-all's AllInOneService. It knows nothing of configuration files: it
is handed
``reload_config``, a callable that re-reads them, the way oslo.service's
``restart_method='mutate'`` does.
"""

from __future__ import annotations

from oslo_config import cfg

from svcframe import exception
from svcframe import exit_codes
from svcframe.launch.protocol import Launchable
from svcframe.launch.runner import ReloadConfig, ServiceRunner
from svcframe.launch.supervisor import WorkerSupervisor
from svcframe.launch.systemd_notify import Notifier


def launch(service: Launchable, conf: cfg.ConfigOpts,
           reload_config: ReloadConfig, workers: int = 1) -> int:
    """Run ``service`` in ``workers`` processes until stopped; the exit code.

    One worker runs in this process; more run under a supervisor that
    replaces any worker that dies.
    """
    notifier = Notifier.from_environ()
    if workers == 1:
        try:
            return ServiceRunner(service, conf, reload_config, notifier=notifier).run()
        except exception.ServiceStartError:
            return exit_codes.START_FAILED  # run() has logged why
    return WorkerSupervisor(service, conf, reload_config, workers, notifier).run()
