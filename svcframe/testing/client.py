"""RPCTopicClient: call any RPC method of a topic by name."""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging
from oslo_config import cfg

from svcframe.context import RequestContext
from svcframe.rpcapi import base


class RPCTopicClient(base.RPCClient):
    """A client of topic ``topic`` with no methods of its own.

    For tests of a manager that has no client class yet; a plugin that
    ships one (a ``svcframe.rpcapi.base.RPCClient`` subclass) should test
    through it instead, built on ``ServiceFixture.transport``.
    """

    def __init__(self, transport: messaging.Transport, conf: cfg.ConfigOpts,
                 topic: str, timeout: float | None = None) -> None:
        # RPCClient reads TOPIC while it builds its targets.
        self.TOPIC = topic
        super().__init__(transport, conf, timeout)

    def call(self, context: RequestContext, method: str, host: str | None = None,
             version: str | None = None, **kwargs: Any) -> Any:
        """Call ``method`` on one server of the topic (on ``host`` if given)."""
        return self.prepare(host=host, version=version).call(context, method, **kwargs)

    def cast(self, context: RequestContext, method: str, host: str | None = None,
             version: str | None = None, fanout: bool = False, **kwargs: Any) -> None:
        """Send ``method`` without waiting for it to run."""
        self.prepare(host=host, fanout=fanout, version=version).cast(
            context, method, **kwargs)
