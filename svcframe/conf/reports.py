"""oslo.reports' [oslo_reports] options: where SIGUSR2's report is written.

The sample config lists them under oslo.reports' own namespace.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_reports import opts as reports_opts


def register_opts(conf: cfg.ConfigOpts) -> None:
    reports_opts.set_defaults(conf)


def list_opts() -> list:
    return []
