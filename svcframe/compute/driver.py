"""ComputeDriver: what builds and tears down instances on a compute host.

A plugin registers a subclass in the entry-point namespace
``svcframe.compute.drivers`` and names it in ``[compute] driver``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from oslo_config import cfg

from svcframe import plugins

NAMESPACE = 'svcframe.compute.drivers'


@dataclasses.dataclass(frozen=True)
class Capacity:
    """What a host has in total, used or not."""

    vcpus: int
    memory_mb: int


class ComputeDriver:
    """Built once per compute service, in ``init_host()``.

    ``instance`` arguments are dicts with ``uuid``, ``name``, ``vcpus`` and
    ``memory_mb``. A build that fails raises; its message becomes the fault.
    """

    def __init__(self, conf: cfg.ConfigOpts, host: str) -> None:
        self.conf = conf
        self.host = host

    def capacity(self) -> Capacity:
        raise NotImplementedError

    def spawn(self, instance: dict[str, Any]) -> None:
        raise NotImplementedError

    def has(self, instance_uuid: str) -> bool:
        """Whether the instance is built here. A build is sent again after
        a crash, and one already built is then only reported; a driver that
        cannot tell says False, and builds it again."""
        return False

    def destroy(self, instance: dict[str, Any]) -> None:
        """Tear the instance down; nothing to do when it is not here."""
        raise NotImplementedError


def load_driver(conf: cfg.ConfigOpts, host: str) -> ComputeDriver:
    """The driver ``[compute] driver`` names; ConfigError listing the installed ones."""
    driver_class = plugins.load_subclass(NAMESPACE, conf.compute.driver,
                                         '[compute] driver', ComputeDriver)
    return driver_class(conf, host)
