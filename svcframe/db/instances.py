"""Queries of the reference workload: instances and the claims they hold.

Core statements on ``Database.engine``, as the registry's hot paths are. A
claim is one conditional UPDATE of a compute_nodes row, so concurrent
requests never put more on a host than it has. Every transaction that
touches both tables updates the instance row first, then the host's, so two
of them never wait on each other in opposite orders.
"""

from __future__ import annotations

import datetime
import json
import types
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from oslo_utils import uuidutils

from svcframe import exception
from svcframe.db import leases
from svcframe.db import models
from svcframe.db import quotas
from svcframe.db.api import Database, reachable

INSTANCES = models.Instance.__table__
NODES = models.ComputeNode.__table__
SERVICES = models.Service.__table__
COMPUTE_BINARY = 'svcframe-compute'

BUILDING = 'building'
ACTIVE = 'active'
DELETING = 'deleting'
ERROR = 'error'
STATES = (BUILDING, ACTIVE, DELETING, ERROR)


# What ends an instance's lease: it is no longer on its way.
NO_LEASE = {'lease_holder': None, 'lease_expires_at': None}


def _new_task(lease_seconds: float, now: datetime.datetime) -> dict[str, Any]:
    """A request accepted now: a lease held by nobody until a conductor
    takes it, which any conductor may once ``lease_seconds`` have passed."""
    return {'lease_holder': None, 'lease_expires_at': leases.expiry(lease_seconds, now),
            'task_started_at': now}


@reachable
def create(database: Database, name: str, vcpus: int, memory_mb: int,
           project_id: str | None, user_id: str | None,
           quota: Mapping[str, int] | None = None,
           lease_seconds: float = 30) -> types.SimpleNamespace:
    """A new instance record in state ``building``, as stored (without
    reading it back: every create pays for this).

    With ``quota`` (the default limits, see quotas.defaults()) and a
    project, the project's quotas are checked in the insert's transaction:
    QuotaExceeded, and nothing stored, when the instance would not fit.
    """
    now = models.utcnow()
    values = {'uuid': uuidutils.generate_uuid(), 'name': name, 'vcpus': vcpus,
              'memory_mb': memory_mb, 'project_id': project_id, 'user_id': user_id,
              'state': BUILDING, 'host': None, 'fault': None, 'created_at': now,
              'updated_at': None, 'deleted': 0, 'tried_hosts': None,
              **_new_task(lease_seconds, now)}
    enforce = quota is not None and project_id is not None
    if enforce:
        quotas.ensure_project(database, project_id)
    with database.engine.begin() as connection:
        if enforce:
            quotas.lock(connection, project_id)
            quotas.check(connection, project_id, quota,
                         {'instances': 1, 'vcpus': vcpus, 'memory_mb': memory_mb})
        inserted = connection.execute(sa.insert(INSTANCES).values(values))
    return types.SimpleNamespace(id=inserted.inserted_primary_key[0], **values)


@reachable
def get(database: Database, uuid: str) -> sa.Row:
    with database.engine.connect() as connection:
        row = connection.execute(_live().where(INSTANCES.c.uuid == uuid)).first()
    if row is None:
        raise exception.InstanceNotFound(uuid)
    return row


@reachable
def get_all(database: Database, project_id: str | None = None,
            every_project: bool = True, limit: int | None = None,
            marker: str | None = None) -> list[sa.Row]:
    """Live instances, oldest first; without ``every_project``, only
    those of ``project_id`` (None: those created with no project).

    At most ``limit`` rows, those after the instance with uuid ``marker``.
    InstanceNotFound when no instance the caller could list ever had that
    uuid; one deleted since it was listed still marks the place.
    """
    owned = (sa.true() if every_project else
             INSTANCES.c.project_id.is_(None) if project_id is None
             else INSTANCES.c.project_id == project_id)
    query = _live().where(owned).order_by(INSTANCES.c.id)
    if limit is not None:
        query = query.limit(limit)
    with database.engine.connect() as connection:
        if marker is not None:
            marker_id = connection.scalar(
                sa.select(INSTANCES.c.id).where(INSTANCES.c.uuid == marker, owned))
            if marker_id is None:
                raise exception.InstanceNotFound(marker)
            query = query.where(INSTANCES.c.id > marker_id)
        return list(connection.execute(query))


@reachable
def update(database: Database, uuid: str, values: dict[str, Any],
           states: tuple[str, ...] | None = None, host: str | None = None) -> bool:
    """Set ``values``; only while the instance is in one of ``states`` (and
    on ``host``) when given. False when nothing matched."""
    query = (sa.update(INSTANCES).where(INSTANCES.c.uuid == uuid, INSTANCES.c.deleted == 0)
             .values(updated_at=models.utcnow(), **values))
    if states is not None:
        query = query.where(INSTANCES.c.state.in_(states))
    if host is not None:
        query = query.where(INSTANCES.c.host == host)
    with database.engine.begin() as connection:
        return connection.execute(query).rowcount > 0


@reachable
def start_delete(database: Database, uuid: str, lease_seconds: float) -> bool:
    """Put the instance in state ``deleting`` as a new request (see
    create()); False when it is being deleted already or is gone."""
    now = models.utcnow()
    with database.engine.begin() as connection:
        return connection.execute(
            sa.update(INSTANCES)
            .where(INSTANCES.c.uuid == uuid, INSTANCES.c.deleted == 0,
                   INSTANCES.c.state.in_((BUILDING, ACTIVE, ERROR)))
            .values(state=DELETING, updated_at=now, **_new_task(lease_seconds, now))
        ).rowcount > 0


@reachable
def claim(database: Database, uuid: str, host: str, vcpus: int, memory_mb: int,
          up_since: datetime.datetime, holder: str | None = None,
          tried_hosts: list[str] | None = None,
          deadline: datetime.datetime | None = None) -> bool:
    """Place a building instance on ``host`` if the host has room for it.

    The same statement checks that the host's compute service is enabled and
    up (seen since ``up_since``, not forced down), so a scheduler that ranked
    hosts from states a moment old never places on one disabled or dead since.
    With ``holder``, only while no other conductor holds the instance's
    lease; ``holder`` then holds it until ``deadline``, and ``host`` joins
    ``tried_hosts``.
    False when the host lacks room or is not serving (or has no record);
    InstanceNotFound when the instance is gone or no longer waits for a host
    (deleted meanwhile, or taken over by another conductor).
    """
    now = models.utcnow()
    leased, lease_free = {}, sa.true()
    if holder is not None:
        leased = {'lease_holder': holder, 'lease_expires_at': deadline,
                  'tried_hosts': json.dumps([*(tried_hosts or []), host])}
        lease_free = leases.free_for(holder, now)
    with database.engine.begin() as connection:
        placed = connection.execute(
            sa.update(INSTANCES)
            .where(INSTANCES.c.uuid == uuid, INSTANCES.c.deleted == 0,
                   INSTANCES.c.state == BUILDING, INSTANCES.c.host.is_(None), lease_free)
            .values(host=host, updated_at=now, **leased))
        if placed.rowcount == 0:
            raise exception.InstanceNotFound(uuid)
        claimed = connection.execute(
            sa.update(NODES)
            .where(NODES.c.host == host, NODES.c.deleted == 0,
                   NODES.c.vcpus_used + vcpus <= NODES.c.vcpus,
                   NODES.c.memory_mb_used + memory_mb <= NODES.c.memory_mb,
                   _serving(host, up_since))
            .values(vcpus_used=NODES.c.vcpus_used + vcpus,
                    memory_mb_used=NODES.c.memory_mb_used + memory_mb))
        if claimed.rowcount == 0:
            connection.rollback()
            return False
    return True


@reachable
def unclaim(database: Database, uuid: str, host: str,
            values: dict[str, Any]) -> sa.Row | None:
    """Take a building instance off ``host``, free its claim and set ``values``.

    The record as it was; None, freeing nothing, when the instance is no
    longer building there.
    """
    with database.engine.begin() as connection:
        row = connection.execute(_live().where(INSTANCES.c.uuid == uuid)).first()
        if row is None or row.host != host or row.state != BUILDING:
            return None
        taken = connection.execute(
            sa.update(INSTANCES)
            .where(INSTANCES.c.id == row.id, INSTANCES.c.host == host,
                   INSTANCES.c.state == BUILDING)
            .values(host=None, updated_at=models.utcnow(), **values))
        if taken.rowcount == 0:
            return None
        _release(connection, host, row.vcpus, row.memory_mb)
    return row


@reachable
def destroy(database: Database, uuid: str) -> sa.Row | None:
    """Soft-delete a record in state ``deleting`` and free what it holds.

    The record as it was, or None when it was gone or not being deleted, so
    a claim is freed exactly once however often this runs.
    """
    with database.engine.begin() as connection:
        row = connection.execute(_live().where(INSTANCES.c.uuid == uuid)).first()
        if row is None or row.state != DELETING:
            return None
        deleted = connection.execute(
            sa.update(INSTANCES).where(INSTANCES.c.id == row.id, INSTANCES.c.deleted == 0,
                                       INSTANCES.c.state == DELETING)
            .values(deleted=row.id, updated_at=models.utcnow()))
        if deleted.rowcount == 0:
            return None
        if row.host is not None:
            _release(connection, row.host, row.vcpus, row.memory_mb)
    return row


@reachable
def building_on_lost_hosts(database: Database, up_since: datetime.datetime) -> list[sa.Row]:
    """Instances placed on a host whose compute service is down or gone.

    Their build will never be reported: the host is not there to report it.
    """
    alive = sa.exists().where(
        SERVICES.c.host == INSTANCES.c.host, SERVICES.c.binary == COMPUTE_BINARY,
        SERVICES.c.deleted == 0, SERVICES.c.forced_down.is_(False),
        SERVICES.c.last_seen_up >= up_since)
    query = _live().where(INSTANCES.c.state == BUILDING, INSTANCES.c.host.is_not(None),
                          ~alive).order_by(INSTANCES.c.id)
    with database.engine.connect() as connection:
        return list(connection.execute(query))


def _release(connection: sa.Connection, host: str, vcpus: int, memory_mb: int) -> None:
    # Exactly once per claim (see destroy() and unclaim()), so never below 0.
    connection.execute(
        sa.update(NODES).where(NODES.c.host == host, NODES.c.deleted == 0)
        .values(vcpus_used=NODES.c.vcpus_used - vcpus,
                memory_mb_used=NODES.c.memory_mb_used - memory_mb))


def _serving(host: str, up_since: datetime.datetime) -> sa.Exists:
    """The host's compute service is enabled and up."""
    return sa.exists().where(
        SERVICES.c.host == host, SERVICES.c.binary == COMPUTE_BINARY,
        SERVICES.c.deleted == 0, SERVICES.c.disabled.is_(False),
        SERVICES.c.forced_down.is_(False), SERVICES.c.last_seen_up >= up_since)


def _live() -> sa.Select:
    return sa.select(INSTANCES).where(INSTANCES.c.deleted == 0)


@reachable
def count_by_state(database: Database) -> dict[str, int]:
    """How many live instances are in each state (every state, 0 included)."""
    query = (sa.select(INSTANCES.c.state, sa.func.count())
             .where(INSTANCES.c.deleted == 0).group_by(INSTANCES.c.state))
    with database.engine.connect() as connection:
        counted = dict(connection.execute(query).all())
    return {state: counted.get(state, 0) for state in STATES}
