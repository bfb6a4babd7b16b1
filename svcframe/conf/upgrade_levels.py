"""[upgrade_levels]: the RPC version each client may send, during upgrades."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups

GROUP_NAME = 'upgrade_levels'
GROUP_TITLE = 'RPC version caps for rolling upgrades'

TOPICS = ('compute', 'conductor', 'scheduler')

OPTS = [
    cfg.StrOpt(
        topic,
        help='Highest RPC API version that clients may send to the %s '
             'service, such as 1.0. Set it to the version of the oldest %s '
             'service still running while you upgrade; unset sends the '
             'newest version this release knows.' % (topic, topic))
    for topic in TOPICS
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
