"""SQLAlchemy models. A change here comes with a migration in migrations/."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm


def utcnow() -> datetime.datetime:
    # Stored without a time zone, always UTC.
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(orm.DeclarativeBase):
    pass


class Service(Base):
    """One service on one host: what the registry and its heartbeats record.

    A deleted record keeps its row with ``deleted`` set to its id, so that
    the same (host, binary) can register again.
    """

    __tablename__ = 'services'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_services0uuid'),
        sa.UniqueConstraint('host', 'binary', 'deleted',
                            name='uniq_services0host0binary0deleted'),
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36), nullable=False)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    binary: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    topic: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    report_count: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False, default=0)
    disabled: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, nullable=False, default=False)
    disabled_reason: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    forced_down: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, nullable=False,
                                                      default=False)
    last_seen_up: orm.Mapped[datetime.datetime | None] = orm.mapped_column(sa.DateTime)
    version: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False, default=0)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, nullable=False, default=utcnow)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime, onupdate=utcnow)
    deleted: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False, default=0)


class Instance(Base):
    """One instance of the reference workload; soft-deleted like services."""

    __tablename__ = 'instances'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_instances0uuid'),
        sa.Index('instances_project_id_deleted_idx', 'project_id', 'deleted'),
        sa.Index('instances_state_lease_expires_at_idx', 'state', 'lease_expires_at'),
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36), nullable=False)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    project_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    user_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    vcpus: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    memory_mb: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    state: orm.Mapped[str] = orm.mapped_column(sa.String(16), nullable=False)
    host: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    fault: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # On its way (building, deleting): the conductor driving it and until
    # when; another takes it over after that (svcframe/db/leases.py).
    lease_holder: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    lease_expires_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(sa.DateTime)
    # When the create or delete under way was accepted: bounds it.
    task_started_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(sa.DateTime)
    # The hosts its build was sent to, in order (a JSON list).
    tried_hosts: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, nullable=False, default=utcnow)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime, onupdate=utcnow)
    deleted: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False, default=0)


class ComputeNode(Base):
    """The capacity of one compute host and what claims hold of it.

    The compute service reports the totals; the usage columns change only
    by claims and their release, in the conductor.
    """

    __tablename__ = 'compute_nodes'
    __table_args__ = (
        sa.UniqueConstraint('host', 'deleted', name='uniq_compute_nodes0host0deleted'),
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    vcpus: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    memory_mb: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    vcpus_used: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False, default=0)
    memory_mb_used: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False,
                                                        default=0)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, nullable=False, default=utcnow)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime, onupdate=utcnow)
    deleted: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False, default=0)


class Quota(Base):
    """One project's own limit on one resource, over the [quota] default.

    -1 is no limit. No soft deletion: removing the row restores the default.
    """

    __tablename__ = 'quotas'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'resource', name='uniq_quotas0project_id0resource'),
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255), nullable=False)
    resource: orm.Mapped[str] = orm.mapped_column(sa.String(32), nullable=False)
    hard_limit: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, nullable=False, default=utcnow)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime, onupdate=utcnow)


class QuotaProject(Base):
    """A row per project that creates instances: the lock its creates take.

    Checking usage and inserting an instance happen in one transaction
    that first updates this row, so two creates of one project run one
    after the other on every backend (a row lock on PostgreSQL and MariaDB,
    the write lock on SQLite).
    """

    __tablename__ = 'quota_projects'

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    generation: orm.Mapped[int] = orm.mapped_column(sa.Integer, nullable=False, default=0)
