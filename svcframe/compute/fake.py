"""The ``fake`` driver: instances that exist only in this process's memory.

Capacity and build time come from ``[fake_driver]``; builds of instances named
in ``fail_instance_names`` fail, so tests can exercise retries.
"""

from __future__ import annotations

from typing import Any

from svcframe import threads
from svcframe.compute import driver


class FakeBuildError(Exception):
    pass


class FakeDriver(driver.ComputeDriver):

    def __init__(self, conf: Any, host: str) -> None:
        super().__init__(conf, host)
        self.instances: dict[str, dict[str, Any]] = {}

    def capacity(self) -> driver.Capacity:
        options = self.conf.fake_driver
        return driver.Capacity(vcpus=options.vcpus, memory_mb=options.memory_mb)

    def spawn(self, instance: dict[str, Any]) -> None:
        options = self.conf.fake_driver
        if options.build_delay:
            threads.sleep(options.build_delay)
        if instance['name'] in (options.fail_instance_names or ()):
            raise FakeBuildError('fake driver on %s was told to fail building %r '
                                 '([fake_driver] fail_instance_names)'
                                 % (self.host, instance['name']))
        self.instances[instance['uuid']] = instance

    def has(self, instance_uuid: str) -> bool:
        return instance_uuid in self.instances

    def destroy(self, instance: dict[str, Any]) -> None:
        self.instances.pop(instance['uuid'], None)
