"""The client of the scheduler service."""

from __future__ import annotations

from svcframe.rpcapi import base


class SchedulerAPI(base.RPCClient):
    """RPC API of svcframe-scheduler.

    1.0 - ping (from the base endpoint)
    """

    TOPIC = 'scheduler'
    RPC_API_VERSION = '1.0'
