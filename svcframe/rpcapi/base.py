"""RPCClient: the base of the per-topic clients."""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging
from oslo_config import cfg

from svcframe import baserpc
from svcframe import context as svcframe_context
from svcframe import rpc


class RPCClient:
    """Calls and casts to one topic, capped at ``[upgrade_levels] <topic>``.

    A subclass sets TOPIC and RPC_API_VERSION and adds one method per RPC
    method of its manager.
    """

    TOPIC: str = ''
    RPC_API_VERSION = '1.0'

    def __init__(self, transport: messaging.Transport, conf: cfg.ConfigOpts,
                 timeout: float | None = None) -> None:
        self.conf = conf
        # A plugin's topic may have no [upgrade_levels] option: no cap then.
        levels = conf.upgrade_levels
        self.version_cap = levels[self.TOPIC] if self.TOPIC in levels else None
        target = messaging.Target(topic=self.TOPIC, version=self.RPC_API_VERSION)
        self.client = rpc.get_client(transport, target, self.version_cap, timeout)
        self._ping_client = rpc.get_client(
            transport, messaging.Target(topic=self.TOPIC, namespace=baserpc.NAMESPACE,
                                        version='1.0'), timeout=timeout)

    def prepare(self, host: str | None = None, fanout: bool = False,
                version: str | None = None) -> Any:
        """A call context aimed at one host, at every host, or at any.

        Without ``version`` it asks for 1.0, which every server of the topic
        serves (a plugin's manager too); a method added later names the
        version that brought it.
        """
        return self.client.prepare(server=host, fanout=fanout, version=version or '1.0')

    def ping(self, context: svcframe_context.RequestContext, host: str,
             arg: Any = None, timeout: float | None = None) -> dict[str, Any]:
        """Round trip to the service of this topic on ``host``."""
        return self._ping_client.prepare(server=host, timeout=timeout).call(
            context, 'ping', arg=arg)
