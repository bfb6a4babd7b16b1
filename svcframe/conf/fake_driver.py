"""[fake_driver] options: the built-in compute driver that runs nothing."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups

GROUP_NAME = 'fake_driver'
GROUP_TITLE = 'The fake compute driver ([compute] driver = fake)'

OPTS = [
    cfg.IntOpt(
        'vcpus',
        default=8,
        min=1,
        mutable=True,
        help='Number of vcpus this host reports.'),
    cfg.IntOpt(
        'memory_mb',
        default=8192,
        min=1,
        mutable=True,
        help='Memory in MB this host reports.'),
    cfg.FloatOpt(
        'build_delay',
        default=0.0,
        min=0.0,
        mutable=True,
        help='Seconds a build takes.'),
    cfg.ListOpt(
        'fail_instance_names',
        default=None,
        mutable=True,
        help='For tests: builds of instances with one of these names fail on '
             'this host, as a real driver\'s build can.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
