"""The client of the scheduler service."""

from __future__ import annotations

from typing import Any

from svcframe.rpcapi import base


class SchedulerAPI(base.RPCClient):
    """RPC API of svcframe-scheduler.

    1.0 - ping (from the base endpoint)
    1.1 - select_destinations
    """

    TOPIC = 'scheduler'
    RPC_API_VERSION = '1.1'

    def select_destinations(self, context: Any, spec: dict[str, Any],
                            excluded_hosts: list[str] | None = None,
                            fresh: bool = False, timeout: float | None = None) -> list[str]:
        """The hosts that fit ``spec`` ({"vcpus", "memory_mb", ...}), best
        first. ``fresh`` asks for host states read anew rather than cached;
        ``timeout`` replaces the client's for this call."""
        options = {'version': '1.1'} if timeout is None else {'version': '1.1',
                                                               'timeout': timeout}
        return self.client.prepare(**options).call(
            context, 'select_destinations', spec=spec,
            excluded_hosts=list(excluded_hosts or ()), fresh=fresh)
