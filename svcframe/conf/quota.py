"""[quota] options: the default per-project limits of the instances API."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups

GROUP_NAME = 'quota'
GROUP_TITLE = 'Per-project quotas (defaults; svcframe-manage quota set overrides one project)'

OPTS = [
    cfg.IntOpt(
        'instances',
        default=10,
        min=-1,
        mutable=True,
        help='Instances one project may have at once (building, active, deleting or '
             'error); -1 for no limit. A project\'s own limit, set through '
             'PUT /v1/quotas/{project_id} or "svcframe-manage quota set", takes precedence.'),
    cfg.IntOpt(
        'vcpus',
        default=20,
        min=-1,
        mutable=True,
        help='vCPUs one project\'s instances may hold in all; -1 for no limit. A '
             'project\'s own limit takes precedence.'),
    cfg.IntOpt(
        'memory_mb',
        default=51200,
        min=-1,
        mutable=True,
        help='Memory in MB one project\'s instances may hold in all; -1 for no limit. A '
             'project\'s own limit takes precedence.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
