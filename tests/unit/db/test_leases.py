"""Leases on instances and the usage audit, on SQLite."""

from __future__ import annotations

import datetime

import sqlalchemy as sa

from svcframe import exception
from svcframe.db import compute_nodes
from svcframe.db import instances
from svcframe.db import leases
from svcframe.db import models
from svcframe.db.api import Database
from tests.unit.db.test_instances import SINCE, node, usage

import pytest


def new(database: Database, lease_seconds: float = 30) -> str:
    return instances.create(database, 'vm', 1, 512, 'p', 'u',
                            lease_seconds=lease_seconds).uuid


def expire(database: Database, uuid: str) -> None:
    """As if the lease's time had passed."""
    with database.engine.begin() as connection:
        connection.execute(sa.update(instances.INSTANCES)
                           .where(instances.INSTANCES.c.uuid == uuid)
                           .values(lease_expires_at=models.utcnow()
                                   - datetime.timedelta(seconds=1)))


def test_a_new_request_is_taken_by_one_conductor_only(database: Database) -> None:
    uuid = new(database)
    record = instances.get(database, uuid)
    assert record.lease_holder is None and record.task_started_at == record.created_at

    assert leases.take(database, uuid, 'c1', 30, instances.BUILDING)
    assert instances.get(database, uuid).lease_holder == 'c1'
    assert not leases.take(database, uuid, 'c2', 30, instances.BUILDING)
    assert leases.take(database, uuid, 'c1', 30, instances.BUILDING)  # its own
    assert not leases.take(database, uuid, 'c1', 30, instances.DELETING)  # other state


def test_an_expired_lease_is_taken_over_by_exactly_one_of_those_who_saw_it(
        database: Database) -> None:
    uuid = new(database)
    leases.take(database, uuid, 'dead', 30, instances.BUILDING)
    assert leases.expired(database) == []
    expire(database, uuid)

    [seen_by_c2] = leases.expired(database)
    [seen_by_c3] = leases.expired(database)
    assert leases.take_over(database, seen_by_c2, 'c2', 30)
    assert not leases.take_over(database, seen_by_c3, 'c3', 30)

    assert instances.get(database, uuid).lease_holder == 'c2'
    assert leases.expired(database) == []


def test_renewing_keeps_only_the_holders_own_leases(database: Database) -> None:
    mine, theirs = new(database), new(database)
    leases.take(database, mine, 'c1', 30, instances.BUILDING)
    leases.take(database, theirs, 'c2', 30, instances.BUILDING)
    before = instances.get(database, mine).lease_expires_at

    assert leases.renew(database, 'c1', [mine, theirs], 60) == 1

    assert instances.get(database, mine).lease_expires_at > before
    assert instances.get(database, theirs).lease_holder == 'c2'


def test_only_the_holder_claims_and_the_claim_records_the_host_and_deadline(
        database: Database) -> None:
    node(database, 'node-1', 4, 4096)
    uuid = new(database)
    leases.take(database, uuid, 'c1', 30, instances.BUILDING)
    deadline = leases.expiry(120)

    with pytest.raises(exception.InstanceNotFound):
        instances.claim(database, uuid, 'node-1', 1, 512, SINCE, holder='c2',
                        tried_hosts=[], deadline=deadline)
    assert instances.claim(database, uuid, 'node-1', 1, 512, SINCE, holder='c1',
                           tried_hosts=['node-0'], deadline=deadline)

    record = instances.get(database, uuid)
    assert leases.tried_hosts(record) == ['node-0', 'node-1']
    assert record.lease_expires_at == deadline
    assert usage(database, 'node-1') == (1, 512)


def test_a_delete_is_a_new_request_with_a_lease_of_nobody(database: Database) -> None:
    uuid = new(database)
    leases.take(database, uuid, 'c1', 30, instances.BUILDING)

    assert instances.start_delete(database, uuid, 30)
    assert not instances.start_delete(database, uuid, 30)  # being deleted already

    record = instances.get(database, uuid)
    assert (record.state, record.lease_holder) == (instances.DELETING, None)
    assert leases.take(database, uuid, 'c2', 30, instances.DELETING)


def test_the_audit_finds_usage_that_differs_from_the_instances_and_repair_fixes_it(
        database: Database) -> None:
    node(database, 'node-1', 8, 8192)
    node(database, 'node-2', 8, 8192)
    placed = [new(database) for _ in range(3)]
    for uuid in placed:
        assert instances.claim(database, uuid, 'node-1', 1, 512, SINCE)
    assert all(u.matches for u in compute_nodes.audit(database))

    # A claim leaked: usage on node-2 that no instance holds.
    with database.engine.begin() as connection:
        connection.execute(sa.update(instances.NODES).where(instances.NODES.c.host == 'node-2')
                           .values(vcpus_used=2, memory_mb_used=1024))

    audit = {u.host: u for u in compute_nodes.audit(database)}
    assert audit['node-1'].matches
    assert (audit['node-2'].vcpus_used, audit['node-2'].vcpus_held) == (2, 0)
    assert not audit['node-2'].matches

    before = compute_nodes.repair(database, 'node-2')
    assert (before.vcpus_used, before.memory_mb_used) == (2, 1024)
    assert usage(database, 'node-2') == (0, 0)
    assert all(u.matches for u in compute_nodes.audit(database))
    assert compute_nodes.repair(database, 'no-such-host') is None


def test_the_audit_names_instances_on_a_host_without_a_record(database: Database) -> None:
    node(database, 'node-1', 8, 8192)
    uuid = new(database)
    instances.claim(database, uuid, 'node-1', 2, 1024, SINCE)
    with database.engine.begin() as connection:
        connection.execute(sa.update(instances.NODES).values(deleted=1))

    [usage_of_gone] = compute_nodes.audit(database)

    assert usage_of_gone == compute_nodes.Usage('node-1', None, None, 1, 512)
