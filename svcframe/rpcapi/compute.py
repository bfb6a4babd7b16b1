"""The client of the compute service."""

from __future__ import annotations

from typing import Any

from svcframe.rpcapi import base


class ComputeAPI(base.RPCClient):
    """RPC API of svcframe-compute.

    1.0 - ping (from the base endpoint)
    1.1 - build_instance, terminate_instance
    """

    TOPIC = 'compute'
    RPC_API_VERSION = '1.1'

    def build_instance(self, context: Any, host: str, instance: dict[str, Any],
                       tried_hosts: list[str]) -> None:
        """Build ``instance`` on ``host``; its conductor hears back by
        ``build_finished``. ``tried_hosts`` includes ``host``."""
        self.prepare(host=host, version='1.1').cast(
            context, 'build_instance', instance=instance, tried_hosts=tried_hosts)

    def terminate_instance(self, context: Any, host: str, instance: dict[str, Any]) -> None:
        """Tear ``instance`` down on ``host``, then tell the conductor
        ``instance_destroyed``."""
        self.prepare(host=host, version='1.1').cast(
            context, 'terminate_instance', instance=instance)
