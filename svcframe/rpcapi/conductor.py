"""The client of the conductor service."""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging
from oslo_config import cfg

from svcframe import rpc
from svcframe.rpcapi import base

REGISTRY_NAMESPACE = 'servicegroup'


class ConductorAPI(base.RPCClient):
    """RPC API of svcframe-conductor.

    1.0 - ping (from the base endpoint); service_register and service_report
          (namespace servicegroup)
    """

    TOPIC = 'conductor'
    RPC_API_VERSION = '1.0'

    def __init__(self, transport: messaging.Transport, conf: cfg.ConfigOpts,
                 timeout: float | None = None) -> None:
        super().__init__(transport, conf, timeout)
        target = messaging.Target(topic=self.TOPIC, namespace=REGISTRY_NAMESPACE,
                                  version='1.0')
        self._registry = rpc.get_client(transport, target, timeout=timeout)

    def service_register(self, context: Any, host: str, binary: str, topic: str) -> int:
        return self._registry.call(context, 'service_register', host=host,
                                   binary=binary, topic=topic)

    def service_report(self, context: Any, service_id: int) -> bool:
        return self._registry.call(context, 'service_report', service_id=service_id)
