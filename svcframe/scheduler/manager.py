"""The reference scheduler manager: picks hosts for instances.

It holds no database credentials: host states come from the conductor,
cached for a moment so that a burst of requests costs one round trip, and
each host chosen is charged in the cache until the next read. The cache only
ranks; the conductor's claim in SQL is what keeps a host from overcommitting.
"""

from __future__ import annotations

import time
from typing import Any

import oslo_messaging as messaging
from oslo_log import log as logging

from svcframe import context as svcframe_context
from svcframe import log_text
from svcframe import manager
from svcframe.rpcapi.conductor import ConductorAPI
from svcframe.scheduler.host_state import HostState, RequestSpec
from svcframe.scheduler.selector import HostSelector

LOG = logging.getLogger(__name__)

# Seconds host states are reused; short next to service_down_time.
HOST_STATE_TTL = 1.0


class SchedulerManager(manager.Manager):
    """Runs the scheduler side of the reference workload."""

    target = messaging.Target(version='1.1')

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selector: HostSelector | None = None
        self.conductor: ConductorAPI | None = None
        self._hosts: list[HostState] = []
        self._hosts_read_at: float | None = None

    def init_host(self) -> None:
        # An unknown filter or weigher stops the start with the installed names.
        self.selector = HostSelector.from_conf(self.conf)
        self.conductor = ConductorAPI(self.transport, self.conf)

    def select_destinations(self, context: svcframe_context.RequestContext,
                            spec: dict[str, Any], excluded_hosts: list[str],
                            fresh: bool = False) -> list[str]:
        """The names of the hosts that fit ``spec``, best first; [] for none."""
        request = RequestSpec.from_dict(spec)
        ranked = self.selector.select(self._host_states(context, fresh), request,
                                      frozenset(excluded_hosts))
        if ranked:
            ranked[0].consume(request)
        # The conductor asks again with fresh states when none fits: only
        # that answer is news.
        log = LOG.info if ranked or fresh else LOG.debug
        log('Hosts for instance %s (%d vcpus, %d MB): %s',
                 log_text.escape(str(spec.get('name'))),
                 request.vcpus, request.memory_mb,
                 ', '.join(host.host for host in ranked[:3]) or 'none fits')
        return [host.host for host in ranked]

    def _host_states(self, context: svcframe_context.RequestContext,
                     fresh: bool) -> list[HostState]:
        now = time.monotonic()
        if fresh or self._hosts_read_at is None or now - self._hosts_read_at > HOST_STATE_TTL:
            self._hosts = [HostState.from_dict(values)
                           for values in self.conductor.host_states(context)]
            self._hosts_read_at = now
        return self._hosts
