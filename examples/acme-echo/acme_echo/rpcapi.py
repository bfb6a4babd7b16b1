"""EchoAPI: how other code calls EchoManager over RPC."""

from __future__ import annotations

from typing import Any

from svcframe.rpcapi import base


class EchoAPI(base.RPCClient):
    """RPC API of EchoManager, run by svcframe-compute (topic ``compute``).

    1.0 - echo, ticks
    """

    TOPIC = 'compute'
    RPC_API_VERSION = '1.0'

    def echo(self, context: Any, host: str, text: str) -> dict[str, str]:
        return self.prepare(host=host).call(context, 'echo', text=text)

    def ticks(self, context: Any, host: str) -> dict[str, Any]:
        return self.prepare(host=host).call(context, 'ticks')
