"""Queries of compute host capacity: what computes report, what schedulers read."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from svcframe.db import models
from svcframe.db.api import Database, reachable
from svcframe.db.instances import COMPUTE_BINARY, INSTANCES, NODES, SERVICES


@reachable
def report(database: Database, host: str, vcpus: int, memory_mb: int) -> None:
    """Record the totals ``host`` reports; usage stays as claims left it."""
    now = models.utcnow()
    with database.engine.begin() as connection:
        updated = connection.execute(
            sa.update(NODES).where(NODES.c.host == host, NODES.c.deleted == 0)
            .values(vcpus=vcpus, memory_mb=memory_mb, updated_at=now))
        if updated.rowcount:
            return
    try:
        with database.engine.begin() as connection:
            connection.execute(sa.insert(NODES).values(
                host=host, vcpus=vcpus, memory_mb=memory_mb, vcpus_used=0,
                memory_mb_used=0, created_at=now, deleted=0))
    except sa.exc.IntegrityError:  # a report of the same host won the race
        report(database, host, vcpus, memory_mb)


@reachable
def get(database: Database, host: str) -> sa.Row | None:
    with database.engine.connect() as connection:
        return connection.execute(
            sa.select(NODES).where(NODES.c.host == host, NODES.c.deleted == 0)).first()


@reachable
def host_states(database: Database) -> list[sa.Row]:
    """Every compute host with a record and a registered compute service:
    its capacity and usage, and its service's disabled, forced_down and
    last_seen_up."""
    query = (sa.select(NODES.c.host, NODES.c.vcpus, NODES.c.memory_mb, NODES.c.vcpus_used,
                       NODES.c.memory_mb_used, SERVICES.c.disabled, SERVICES.c.forced_down,
                       SERVICES.c.last_seen_up)
             .join(SERVICES, sa.and_(SERVICES.c.host == NODES.c.host,
                                     SERVICES.c.binary == COMPUTE_BINARY,
                                     SERVICES.c.deleted == 0))
             .where(NODES.c.deleted == 0).order_by(NODES.c.id))
    with database.engine.connect() as connection:
        return list(connection.execute(query))


@dataclasses.dataclass(frozen=True)
class Usage:
    """What a host's record says it has in use, and what its instances hold."""

    host: str
    vcpus_used: int | None  # None: no compute_nodes record for the host
    memory_mb_used: int | None
    vcpus_held: int
    memory_mb_held: int

    @property
    def matches(self) -> bool:
        return (self.vcpus_used, self.memory_mb_used) == (self.vcpus_held, self.memory_mb_held)


def _held_by_instances() -> sa.Subquery:
    # Every live instance placed on a host holds its claim there, whatever
    # its state: building, active, deleting, or error after a teardown that
    # did not finish. A claim is freed only by unclaim() and destroy().
    return (sa.select(INSTANCES.c.host, sa.func.sum(INSTANCES.c.vcpus).label('vcpus'),
                      sa.func.sum(INSTANCES.c.memory_mb).label('memory_mb'))
            .where(INSTANCES.c.deleted == 0, INSTANCES.c.host.is_not(None))
            .group_by(INSTANCES.c.host).subquery())


@reachable
def audit(database: Database) -> list[Usage]:
    """Each host's recorded usage beside the sum of its instances, by host
    name: the hosts with a record, and any host instances are placed on."""
    held = _held_by_instances()
    on_nodes = (sa.select(NODES.c.host, NODES.c.vcpus_used, NODES.c.memory_mb_used,
                          held.c.vcpus, held.c.memory_mb)
                .outerjoin(held, held.c.host == NODES.c.host).where(NODES.c.deleted == 0))
    recorded = sa.select(NODES.c.host).where(NODES.c.deleted == 0)
    elsewhere = (sa.select(held.c.host, sa.null(), sa.null(), held.c.vcpus, held.c.memory_mb)
                 .where(held.c.host.not_in(recorded)))
    with database.engine.connect() as connection:
        rows = list(connection.execute(on_nodes)) + list(connection.execute(elsewhere))
    return sorted((Usage(row[0], row[1], row[2], int(row[3] or 0), int(row[4] or 0))
                   for row in rows), key=lambda usage: usage.host)


@reachable
def repair(database: Database, host: str) -> Usage | None:
    """Set ``host``'s recorded usage to what its instances hold; the usage
    as it was, or None when the host has no record.

    The host's row is locked first: a claim or release on it waits, and one
    whose instance row changed but not yet committed is not counted here and
    adds itself after, so the result holds.
    """
    with database.engine.begin() as connection:
        node = connection.execute(
            sa.select(NODES.c.id, NODES.c.vcpus_used, NODES.c.memory_mb_used)
            .where(NODES.c.host == host, NODES.c.deleted == 0).with_for_update()).first()
        if node is None:
            return None
        vcpus, memory_mb = connection.execute(
            sa.select(sa.func.coalesce(sa.func.sum(INSTANCES.c.vcpus), 0),
                      sa.func.coalesce(sa.func.sum(INSTANCES.c.memory_mb), 0))
            .where(INSTANCES.c.deleted == 0, INSTANCES.c.host == host)).one()
        connection.execute(sa.update(NODES).where(NODES.c.id == node.id)
                           .values(vcpus_used=vcpus, memory_mb_used=memory_mb))
    return Usage(host, node.vcpus_used, node.memory_mb_used, int(vcpus), int(memory_mb))
