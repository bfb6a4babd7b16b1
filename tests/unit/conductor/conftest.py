"""The conductor with the other services faked, on a SQLite database."""

from __future__ import annotations

from typing import Any

import pytest
from oslo_config import cfg

from svcframe import context
from svcframe.conductor.leases import LeaseKeeper
from svcframe.conductor.manager import ConductorManager
from svcframe.db import compute_nodes
from svcframe.db import instances
from svcframe.db.api import Database

CTX = context.get_admin_context()


class FakeScheduler:
    """Ranks the hosts it is given, leaving out the excluded ones."""

    def __init__(self, hosts: list[str]) -> None:
        self.hosts = hosts
        self.calls: list[tuple[list[str], bool]] = []
        self.timeouts: list[float | None] = []

    def select_destinations(self, ctx: Any, spec: dict, excluded_hosts: list[str],
                            fresh: bool = False, timeout: float | None = None) -> list[str]:
        self.timeouts.append(timeout)
        self.calls.append((list(excluded_hosts), fresh))
        return [host for host in self.hosts if host not in excluded_hosts]


class FakeCompute:
    def __init__(self) -> None:
        self.casts: list[tuple[str, str, dict, Any]] = []

    def build_instance(self, ctx: Any, host: str, instance: dict,
                       tried_hosts: list[str]) -> None:
        self.casts.append(('build', host, instance, tried_hosts))

    def terminate_instance(self, ctx: Any, host: str, instance: dict) -> None:
        self.casts.append(('terminate', host, instance, None))


@pytest.fixture
def conductor(conf: cfg.ConfigOpts, database: Database) -> ConductorManager:
    manager = ConductorManager(host='c', service_name='conductor', conf=conf)
    manager.database = database
    manager.scheduler = FakeScheduler(['node-1', 'node-2'])
    manager.compute = FakeCompute()
    manager.leases = LeaseKeeper(database, conf, 'c')
    for host in ('node-1', 'node-2'):
        service = database.service_create(host, 'svcframe-compute', 'compute')
        database.service_report(service.id)
        compute_nodes.report(database, host, vcpus=2, memory_mb=2048)
    return manager


def new(database: Database, vcpus: int = 1) -> dict[str, Any]:
    """A building instance, as the API casts it."""
    record = instances.create(database, 'vm', vcpus, 512, 'p', 'u')
    return {'uuid': record.uuid, 'name': 'vm', 'vcpus': vcpus, 'memory_mb': 512,
            'project_id': 'p'}


def used(database: Database, host: str) -> int:
    return compute_nodes.get(database, host).vcpus_used
