"""The client of the compute service."""

from __future__ import annotations

from svcframe.rpcapi import base


class ComputeAPI(base.RPCClient):
    """RPC API of svcframe-compute.

    1.0 - ping (from the base endpoint)
    """

    TOPIC = 'compute'
    RPC_API_VERSION = '1.0'
