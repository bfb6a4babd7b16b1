"""EchoManager: what svcframe-compute runs with ``compute_manager = acme_echo``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging
from oslo_service import periodic_task

from svcframe import manager

LOG = logging.getLogger(__name__)

GROUP = 'acme_echo'
OPTS = [
    cfg.StrOpt('prefix', default='echo: ', mutable=True,
               help='Text put in front of every echo. Follows SIGHUP.'),
]
# A plugin registers its options on the global CONF when it is imported:
# svcframe imports this module while it loads the manager, before it checks
# the values read from the config files.
cfg.CONF.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """For oslo-config-generator, and for svcframe.testing.make_conf(opts=...)."""
    return [(GROUP, OPTS)]


class EchoManager(manager.Manager):
    """Echoes text over RPC, and counts the runs of its periodic task."""

    def __init__(self, host: str, service_name: str, conf: cfg.ConfigOpts) -> None:
        super().__init__(host, service_name, conf)
        self.tick_count = 0
        self.last_tick: float | None = None
        # A collaborator a test replaces, so that it can assert on the time.
        self.clock: Callable[[], float] = time.time

    def init_host(self) -> None:
        LOG.info('acme_echo ready on %s, prefix %r', self.host, self.conf.acme_echo.prefix)

    def reset(self) -> None:
        LOG.info('acme_echo prefix is now %r', self.conf.acme_echo.prefix)

    # RPC methods: public methods taking (self, context, ...).

    def echo(self, context: Any, text: str) -> dict[str, str]:
        """The text with the prefix, and who answered."""
        return {'text': self.conf.acme_echo.prefix + text, 'host': self.host,
                'request_id': context.request_id}

    def ticks(self, context: Any) -> dict[str, Any]:
        """How often the periodic task ran, and when last."""
        return {'count': self.tick_count, 'last': self.last_tick}

    # Periodic tasks.

    @periodic_task.periodic_task(spacing=10, run_immediately=True)
    def count_tick(self, context: Any) -> None:
        self.tick_count += 1
        self.last_tick = self.clock()
