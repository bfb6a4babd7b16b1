"""[compute] options."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups

GROUP_NAME = 'compute'
GROUP_TITLE = 'svcframe-compute options'

OPTS = [
    cfg.StrOpt(
        'driver',
        default='fake',
        help='Name of the driver that builds and tears down instances on this '
             'host: an entry point in the svcframe.compute.drivers namespace. '
             'Built in: fake; a plugin package adds its own names.'),
    cfg.IntOpt(
        'capacity_report_interval',
        default=60,
        min=1,
        mutable=True,
        help='Seconds between two reports of this host\'s capacity (vcpus '
             'and memory) to the conductor, which the scheduler places '
             'instances by.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
