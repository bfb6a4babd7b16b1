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
    1.1 - build_instance, delete_instance (from the API); build_finished,
          instance_destroyed, compute_node_report (from compute); host_states
          (from the scheduler)
    """

    TOPIC = 'conductor'
    RPC_API_VERSION = '1.1'

    def __init__(self, transport: messaging.Transport, conf: cfg.ConfigOpts,
                 timeout: float | None = None) -> None:
        super().__init__(transport, conf, timeout)
        target = messaging.Target(topic=self.TOPIC, namespace=REGISTRY_NAMESPACE,
                                  version='1.0')
        self._registry = rpc.get_client(transport, target, timeout=timeout)

    def service_register(self, context: Any, host: str, binary: str, topic: str,
                         timeout: float | None = None) -> int:
        return self._registry.prepare(timeout=timeout).call(
            context, 'service_register', host=host, binary=binary, topic=topic)

    def service_report(self, context: Any, service_id: int) -> bool:
        return self._registry.call(context, 'service_report', service_id=service_id)

    # The reference workload.

    def build_instance(self, context: Any, instance: dict[str, Any]) -> None:
        """Schedule the building ``instance`` ({"uuid", "name", "vcpus",
        "memory_mb", "project_id"}) and send it to a host."""
        self.prepare(version='1.1').cast(context, 'build_instance', instance=instance)

    def delete_instance(self, context: Any, instance_uuid: str) -> None:
        """Tear down the instance in state deleting and remove its record."""
        self.prepare(version='1.1').cast(context, 'delete_instance',
                                         instance_uuid=instance_uuid)

    def build_finished(self, context: Any, instance: dict[str, Any], host: str,
                       fault: str | None, tried_hosts: list[str]) -> None:
        """Compute built ``instance`` on ``host`` (``fault`` None) or failed."""
        self.prepare(version='1.1').cast(context, 'build_finished', instance=instance,
                                         host=host, fault=fault, tried_hosts=tried_hosts)

    def instance_destroyed(self, context: Any, instance_uuid: str, host: str) -> None:
        """Compute tore the instance down on ``host``."""
        self.prepare(version='1.1').cast(context, 'instance_destroyed',
                                         instance_uuid=instance_uuid, host=host)

    def compute_node_report(self, context: Any, host: str, vcpus: int,
                            memory_mb: int, wait: bool = False) -> None:
        """The capacity ``host`` has in total. A cast unless ``wait``: a
        periodic task that waited for an answer would hold up its service's
        stop, while the first report must be known to have landed."""
        send = self.prepare(version='1.1').call if wait else self.prepare(version='1.1').cast
        send(context, 'compute_node_report', host=host, vcpus=vcpus, memory_mb=memory_mb)

    def host_states(self, context: Any) -> list[dict[str, Any]]:
        """Every compute host: capacity, usage, enabled and up."""
        return self.prepare(version='1.1').call(context, 'host_states')
