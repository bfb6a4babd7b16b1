"""Guru Meditation Reports: what a running process is doing, on SIGUSR2.

oslo.reports writes the report: the package, every thread's and green
thread's stack, the child processes and the configuration (secrets masked).
It goes to stderr, or to a file in ``[oslo_reports] log_dir`` when that is
set. svcframe runs it from the launcher's signal loop, never inside a signal
handler, so a process stuck in start() or in stop() still answers.
"""

from __future__ import annotations

import importlib.metadata
import os

from oslo_config import cfg

PACKAGE = 'svcframe'


class Version:
    """The version block at the top of a report."""

    def vendor_string(self) -> str:
        return PACKAGE

    def product_string(self) -> str:
        return PACKAGE

    def version_string_with_package(self) -> str:
        try:
            return importlib.metadata.version(PACKAGE)
        except importlib.metadata.PackageNotFoundError:
            return 'unknown (not installed)'


def write_report(conf: cfg.ConfigOpts, binary: str) -> None:
    """Write this process's report; a failure is printed, never raised."""
    # Imported when asked for: oslo.reports and psutil add about 25 ms to
    # the start of every binary that never gets a SIGUSR2.
    from oslo_reports import guru_meditation_report as gmr

    log_dir = conf.oslo_reports.log_dir if 'oslo_reports' in conf else None
    # The file is named after this, and the workers of one supervisor write
    # theirs in the same second: the pid keeps them apart.
    name = '%s.%d' % (binary, os.getpid())
    gmr.TextGuruMeditation.handle_signal(Version(), name, log_dir, None)
