"""[conductor] options."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import workers

GROUP = cfg.OptGroup('conductor', title='svcframe-conductor options')

OPTS = [
    workers.workers_opt('svcframe-conductor'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
