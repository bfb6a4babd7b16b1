"""The client of the conductor service."""

from __future__ import annotations

from svcframe.rpcapi import base


class ConductorAPI(base.RPCClient):
    """RPC API of svcframe-conductor.

    1.0 - ping (from the base endpoint)
    """

    TOPIC = 'conductor'
    RPC_API_VERSION = '1.0'
