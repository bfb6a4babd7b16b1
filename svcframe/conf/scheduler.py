"""[scheduler] options."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups
from svcframe.conf import workers

GROUP_NAME = 'scheduler'
GROUP_TITLE = 'svcframe-scheduler options'

OPTS = [
    workers.workers_opt('svcframe-scheduler'),
    cfg.ListOpt(
        'enabled_filters',
        default=['enabled', 'up', 'capacity'],
        help='Filters a compute host must pass to be chosen, in order: entry '
             'points in the svcframe.scheduler.filters namespace. Built in: '
             'enabled (its compute service is enabled), up (its compute '
             'service reports heartbeats), capacity (free vcpus and memory '
             'for the request).'),
    cfg.ListOpt(
        'weighers',
        default=['free_memory'],
        help='Weighers that rank the hosts that passed the filters, best '
             'first: entry points in the svcframe.scheduler.weighers '
             'namespace. Built in: free_memory (most free memory first).'),
    cfg.IntOpt(
        'max_attempts',
        default=3,
        min=1,
        mutable=True,
        help='How many hosts an instance is tried on: a build that fails on '
             'its host is retried on another until this many have failed, '
             'and the instance goes to state error.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
