"""[scheduler] options."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups
from svcframe.conf import workers

GROUP_NAME = 'scheduler'
GROUP_TITLE = 'svcframe-scheduler options'

OPTS = [
    workers.workers_opt('svcframe-scheduler'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
