"""Per-project quotas: limits, usage, and the check a create makes.

A project's limit on a resource is its row in ``quotas`` if it has one,
else the [quota] option; -1 is no limit. Usage is counted from the live
instance records, so a deleted instance stops counting the moment its
record goes, and nothing can drift out of step.

``check()`` runs inside the create's transaction, after ``lock()`` took the
project's ``quota_projects`` row: the count it reads then cannot change
before the insert commits, so two creates racing for the last unit never
both pass.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from oslo_config import cfg
from oslo_db import exception as db_exception

from svcframe import exception
from svcframe.db import models
from svcframe.db.api import Database, reachable

RESOURCES = ('instances', 'vcpus', 'memory_mb')
UNLIMITED = -1

QUOTAS = models.Quota.__table__
PROJECTS = models.QuotaProject.__table__
INSTANCES = models.Instance.__table__


def defaults(conf: cfg.ConfigOpts) -> dict[str, int]:
    """The [quota] limits, read now (they follow SIGHUP)."""
    return {resource: getattr(conf.quota, resource) for resource in RESOURCES}


@reachable
def get_limits(database: Database, project_id: str,
               default: Mapping[str, int]) -> dict[str, int]:
    with database.engine.connect() as connection:
        return _limits(connection, project_id, default)


@reachable
def get_usage(database: Database, project_id: str) -> dict[str, int]:
    with database.engine.connect() as connection:
        return _usage(connection, project_id)


@reachable
def set_limits(database: Database, project_id: str, limits: Mapping[str, int]) -> None:
    """Store ``limits`` (a subset of RESOURCES) as the project's own."""
    unknown = sorted(set(limits) - set(RESOURCES))
    if unknown:
        raise ValueError('unknown quota resource(s): %s' % ', '.join(unknown))
    with database.engine.begin() as connection:
        for resource, limit in limits.items():
            updated = connection.execute(
                sa.update(QUOTAS)
                .where(QUOTAS.c.project_id == project_id, QUOTAS.c.resource == resource)
                .values(hard_limit=limit, updated_at=models.utcnow()))
            if updated.rowcount == 0:
                connection.execute(sa.insert(QUOTAS).values(
                    project_id=project_id, resource=resource, hard_limit=limit,
                    created_at=models.utcnow()))


def ensure_project(database: Database, project_id: str) -> None:
    """The project's lock row, in a transaction of its own.

    Inserted apart from the create, as a duplicate-key error would abort
    the create's transaction on PostgreSQL.
    """
    with database.engine.connect() as connection:
        exists = connection.scalar(
            sa.select(PROJECTS.c.project_id).where(PROJECTS.c.project_id == project_id))
    if exists is not None:
        return
    try:
        with database.engine.begin() as connection:
            connection.execute(sa.insert(PROJECTS).values(project_id=project_id, generation=0))
    except db_exception.DBDuplicateEntry:
        pass  # a concurrent create inserted it


def lock(connection: sa.Connection, project_id: str) -> None:
    """Hold the project's row until the transaction ends.

    A write rather than SELECT ... FOR UPDATE, which SQLite ignores: an
    UPDATE as the transaction's first statement takes SQLite's write lock
    before anything is read, and a row lock on the other backends. The
    value flips between 0 and 1 so that it always changes.
    """
    connection.execute(
        sa.update(PROJECTS).where(PROJECTS.c.project_id == project_id)
        .values(generation=1 - PROJECTS.c.generation))


def check(connection: sa.Connection, project_id: str, default: Mapping[str, int],
          requested: Mapping[str, int]) -> None:
    """QuotaExceeded for the first resource ``requested`` would take past its limit."""
    limits = _limits(connection, project_id, default)
    if all(limits[resource] == UNLIMITED for resource in requested):
        return
    usage = _usage(connection, project_id)
    for resource in RESOURCES:
        limit = limits[resource]
        wanted = requested.get(resource, 0)
        if limit != UNLIMITED and usage[resource] + wanted > limit:
            raise exception.QuotaExceeded(project_id, resource, usage[resource], wanted, limit)


def _limits(connection: sa.Connection, project_id: str,
            default: Mapping[str, int]) -> dict[str, int]:
    limits = dict(default)
    rows = connection.execute(sa.select(QUOTAS.c.resource, QUOTAS.c.hard_limit)
                              .where(QUOTAS.c.project_id == project_id))
    for resource, hard_limit in rows:
        if resource in limits:
            limits[resource] = hard_limit
    return limits


def _usage(connection: sa.Connection, project_id: str) -> dict[str, int]:
    row = connection.execute(
        sa.select(sa.func.count(INSTANCES.c.id),
                  sa.func.coalesce(sa.func.sum(INSTANCES.c.vcpus), 0),
                  sa.func.coalesce(sa.func.sum(INSTANCES.c.memory_mb), 0))
        .where(INSTANCES.c.project_id == project_id, INSTANCES.c.deleted == 0)).one()
    return dict(zip(RESOURCES, (int(value) for value in row), strict=True))
