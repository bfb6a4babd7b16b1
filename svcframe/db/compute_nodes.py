"""Queries of compute host capacity: what computes report, what schedulers read."""

from __future__ import annotations

import sqlalchemy as sa

from svcframe.db import models
from svcframe.db.api import Database, reachable
from svcframe.db.instances import COMPUTE_BINARY, NODES, SERVICES


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
