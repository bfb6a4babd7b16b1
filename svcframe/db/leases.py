"""Leases on instances on their way (building, deleting): work that outlives a process.

A lease says which conductor drives an instance and until when. The API
records a new request with a lease held by nobody, expiring shortly; the
conductor that receives the cast takes it (a build, with its claim: one
statement less on the hot path), and renews it while it schedules;
once a build or teardown is sent to a compute host, the lease is the
deadline for that host's answer. A conductor that dies, or a message that is
lost, leaves a lease to expire, and a periodic task in every conductor takes
it over: one conditional UPDATE per instance, so never two conductors at once.
"""

from __future__ import annotations

import datetime
import json

import sqlalchemy as sa

from svcframe.db import models
from svcframe.db.api import Database, reachable

INSTANCES = models.Instance.__table__
# The states of an instance on its way, whose lease matters.
ON_ITS_WAY = ('building', 'deleting')


def expiry(seconds: float, now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or models.utcnow()) + datetime.timedelta(seconds=seconds)


def tried_hosts(row: object) -> list[str]:
    """The hosts the instance's build was sent to, in order."""
    return json.loads(row.tried_hosts) if row.tried_hosts else []


def free_for(holder: str, now: datetime.datetime) -> sa.ColumnElement[bool]:
    """The lease is ``holder``'s to take: held by nobody (a new request),
    by ``holder`` itself, or expired."""
    return sa.or_(INSTANCES.c.lease_holder.is_(None), INSTANCES.c.lease_holder == holder,
                  INSTANCES.c.lease_expires_at < now)


@reachable
def take(database: Database, uuid: str, holder: str, seconds: float, state: str) -> bool:
    """Hold the instance for ``seconds`` if it is in ``state`` and nobody
    else holds it (a new request, an expired lease, or ``holder``'s own).

    False when another conductor holds it or the instance is gone or no
    longer in ``state``.
    """
    now = models.utcnow()
    with database.engine.begin() as connection:
        return connection.execute(
            sa.update(INSTANCES)
            .where(INSTANCES.c.uuid == uuid, INSTANCES.c.deleted == 0,
                   INSTANCES.c.state == state, free_for(holder, now))
            .values(lease_holder=holder, lease_expires_at=expiry(seconds, now))
        ).rowcount > 0


@reachable
def renew(database: Database, holder: str, uuids: list[str], seconds: float) -> int:
    """Extend ``holder``'s leases on ``uuids``, taking those held by nobody
    (new requests it works on); how many it holds."""
    if not uuids:
        return 0
    with database.engine.begin() as connection:
        return connection.execute(
            sa.update(INSTANCES)
            .where(INSTANCES.c.uuid.in_(uuids), INSTANCES.c.deleted == 0,
                   INSTANCES.c.state.in_(ON_ITS_WAY),
                   sa.or_(INSTANCES.c.lease_holder == holder,
                          INSTANCES.c.lease_holder.is_(None)))
            .values(lease_holder=holder, lease_expires_at=expiry(seconds))).rowcount


@reachable
def expired(database: Database, limit: int = 100) -> list[sa.Row]:
    """Instances on their way whose lease ran out, oldest lease first."""
    query = (sa.select(INSTANCES)
             .where(INSTANCES.c.deleted == 0, INSTANCES.c.state.in_(ON_ITS_WAY),
                    INSTANCES.c.lease_expires_at < models.utcnow())
             .order_by(INSTANCES.c.lease_expires_at).limit(limit))
    with database.engine.connect() as connection:
        return list(connection.execute(query))


@reachable
def take_over(database: Database, row: sa.Row, holder: str, seconds: float) -> bool:
    """Hold ``row``'s instance if its lease is still the expired one read.

    Compare-and-set on holder and expiry: of several conductors that read
    the same expired lease, exactly one takes it.
    """
    with database.engine.begin() as connection:
        return connection.execute(
            sa.update(INSTANCES)
            .where(INSTANCES.c.id == row.id, INSTANCES.c.deleted == 0,
                   INSTANCES.c.state == row.state,
                   INSTANCES.c.lease_holder.is_not_distinct_from(row.lease_holder),
                   INSTANCES.c.lease_expires_at == row.lease_expires_at)
            .values(lease_holder=holder, lease_expires_at=expiry(seconds))).rowcount == 1


@reachable
def hand_to_host(database: Database, uuid: str, holder: str, host: str,
                 seconds: float) -> list[str] | None:
    """Record that the step of ``holder``'s instance goes to ``host``, which
    has ``seconds`` to report. The hosts tried so far, this one included;
    None when ``holder`` no longer holds the instance or it moved on."""
    with database.engine.begin() as connection:
        row = connection.execute(
            sa.select(INSTANCES.c.id, INSTANCES.c.tried_hosts)
            .where(INSTANCES.c.uuid == uuid, INSTANCES.c.deleted == 0,
                   INSTANCES.c.lease_holder == holder, INSTANCES.c.host == host,
                   INSTANCES.c.state.in_(ON_ITS_WAY))).first()
        if row is None:
            return None
        tried = [*tried_hosts(row), host]
        handed = connection.execute(
            sa.update(INSTANCES)
            .where(INSTANCES.c.id == row.id, INSTANCES.c.lease_holder == holder,
                   INSTANCES.c.tried_hosts.is_not_distinct_from(row.tried_hosts))
            .values(tried_hosts=json.dumps(tried), lease_expires_at=expiry(seconds)))
        return tried if handed.rowcount else None
