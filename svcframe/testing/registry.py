"""MemoryRegistry: a service registry in a dict, for services with no conductor."""

from __future__ import annotations

import threading


class MemoryRegistry:
    """Records registrations and counts heartbeats; never fails.

    ``services`` maps an id to ``{'host', 'binary', 'topic', 'reports'}``.
    """

    def __init__(self) -> None:
        self.services: dict[int, dict[str, object]] = {}
        # Heartbeats write from the services' thread while a test reads.
        self._lock = threading.Lock()

    def register(self, host: str, binary: str, topic: str) -> int:
        with self._lock:
            for service_id, service in self.services.items():
                if (service['host'], service['binary']) == (host, binary):
                    return service_id
            service_id = len(self.services) + 1
            self.services[service_id] = {'host': host, 'binary': binary,
                                         'topic': topic, 'reports': 0}
            return service_id

    def report(self, service_id: int) -> None:
        with self._lock:
            self.services[service_id]['reports'] += 1

    def reports(self, binary: str) -> int:
        """How many heartbeats the service ``binary`` has sent."""
        with self._lock:
            return sum(service['reports'] for service in self.services.values()
                       if service['binary'] == binary)
