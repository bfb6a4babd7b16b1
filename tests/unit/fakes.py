"""Test doubles for the unit tests."""

from __future__ import annotations

from svcframe import exception


class InMemoryRegistry:
    """A service registry in a dict, counting heartbeats."""

    def __init__(self) -> None:
        self.services: dict[int, dict] = {}

    def register(self, host: str, binary: str, topic: str) -> int:
        for service_id, service in self.services.items():
            if (service['host'], service['binary']) == (host, binary):
                return service_id
        service_id = len(self.services) + 1
        self.services[service_id] = {'host': host, 'binary': binary, 'topic': topic,
                                     'reports': 0}
        return service_id

    def report(self, service_id: int) -> None:
        """ServiceNotFound once the record is gone, as the real registries say."""
        if service_id not in self.services:
            raise exception.ServiceNotFound(service_id)
        self.services[service_id]['reports'] += 1
