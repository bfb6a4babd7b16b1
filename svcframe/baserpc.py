"""The RPC endpoint every service serves besides its manager: ``ping``."""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging

from svcframe import context as svcframe_context

NAMESPACE = 'baseapi'


class BaseRPCEndpoint:
    """Answers ``ping`` in namespace ``baseapi``, for health checks and tests."""

    target = messaging.Target(namespace=NAMESPACE, version='1.0')

    def __init__(self, binary: str, host: str) -> None:
        self.binary = binary
        self.host = host

    def ping(self, context: svcframe_context.RequestContext, arg: Any) -> dict[str, Any]:
        return {'binary': self.binary, 'host': self.host, 'arg': arg,
                'request_id': context.request_id}
