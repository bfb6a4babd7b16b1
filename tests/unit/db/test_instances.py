"""Claims on SQLite: room is checked and taken in one statement."""

from __future__ import annotations

import datetime
import threading

import pytest

from svcframe import exception
from svcframe.db import compute_nodes
from svcframe.db import instances
from svcframe.db.api import Database


SINCE = datetime.datetime(2000, 1, 1)


def node(database: Database, host: str, vcpus: int, memory_mb: int) -> None:
    """A compute host reporting its capacity, with its service up."""
    service = database.service_create(host, 'svcframe-compute', 'compute')
    database.service_report(service.id)
    compute_nodes.report(database, host, vcpus=vcpus, memory_mb=memory_mb)


def new(database: Database, vcpus: int = 1, memory_mb: int = 512) -> str:
    return instances.create(database, 'vm', vcpus, memory_mb, 'p', 'u').uuid


def usage(database: Database, host: str) -> tuple[int, int]:
    node = compute_nodes.get(database, host)
    return node.vcpus_used, node.memory_mb_used


def test_a_claim_takes_room_until_the_host_is_full(database: Database) -> None:
    node(database, 'node-1', 2, 4096)
    first, second, third = new(database), new(database), new(database)

    assert instances.claim(database, first, 'node-1', 1, 512, SINCE)
    assert instances.claim(database, second, 'node-1', 1, 512, SINCE)
    assert not instances.claim(database, third, 'node-1', 1, 512, SINCE)

    assert usage(database, 'node-1') == (2, 1024)
    assert instances.get(database, first).host == 'node-1'
    assert instances.get(database, third).host is None  # rolled back with the claim


def test_a_disabled_or_down_host_takes_nothing(database: Database) -> None:
    node(database, 'node-1', 2, 4096)
    service = database.service_get_by_host_and_binary('node-1', 'svcframe-compute')
    uuid = new(database)

    database.service_update(service.id, {'disabled': True})
    assert not instances.claim(database, uuid, 'node-1', 1, 512, SINCE)
    database.service_update(service.id, {'disabled': False, 'forced_down': True})
    assert not instances.claim(database, uuid, 'node-1', 1, 512, SINCE)
    database.service_update(service.id, {'forced_down': False})
    assert not instances.claim(database, uuid, 'node-1', 1, 512,
                               service.last_seen_up + datetime.timedelta(seconds=1))
    assert instances.claim(database, uuid, 'node-1', 1, 512, SINCE)


def test_memory_limits_too_and_an_unknown_host_takes_nothing(database: Database) -> None:
    node(database, 'node-1', 8, 1000)

    assert not instances.claim(database, new(database, memory_mb=1001), 'node-1', 1, 1001,
                               SINCE)
    assert not instances.claim(database, new(database), 'node-2', 1, 512, SINCE)


def test_a_report_changes_totals_and_keeps_usage(database: Database) -> None:
    node(database, 'node-1', 2, 4096)
    instances.claim(database, new(database), 'node-1', 1, 512, SINCE)

    compute_nodes.report(database, 'node-1', vcpus=4, memory_mb=8192)

    reported = compute_nodes.get(database, 'node-1')
    assert (reported.vcpus, reported.memory_mb, reported.vcpus_used, reported.memory_mb_used) == (
        4, 8192, 1, 512)


def test_concurrent_claims_never_overcommit(database: Database) -> None:
    node(database, 'node-1', 5, 100000)
    uuids = [new(database) for _ in range(20)]
    results: list[bool] = []

    def claim(uuid: str) -> None:
        results.append(instances.claim(database, uuid, 'node-1', 1, 512, SINCE))

    threads = [threading.Thread(target=claim, args=(uuid,)) for uuid in uuids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 15 + [True] * 5
    assert usage(database, 'node-1') == (5, 2560)


def test_a_claim_on_a_deleted_instance_is_refused(database: Database) -> None:
    node(database, 'node-1', 2, 4096)
    uuid = new(database)
    instances.update(database, uuid, {'state': instances.DELETING})

    with pytest.raises(exception.InstanceNotFound):
        instances.claim(database, uuid, 'node-1', 1, 512, SINCE)
    assert usage(database, 'node-1') == (0, 0)


def test_unclaim_frees_once(database: Database) -> None:
    node(database, 'node-1', 2, 4096)
    uuid = new(database)
    instances.claim(database, uuid, 'node-1', 1, 512, SINCE)

    assert instances.unclaim(database, uuid, 'node-1', {})
    assert not instances.unclaim(database, uuid, 'node-1', {})
    assert usage(database, 'node-1') == (0, 0)
    assert instances.get(database, uuid).host is None


def test_destroy_frees_once_and_only_a_record_being_deleted(database: Database) -> None:
    node(database, 'node-1', 2, 4096)
    uuid = new(database)
    instances.claim(database, uuid, 'node-1', 1, 512, SINCE)
    instances.update(database, uuid, {'state': instances.ACTIVE})

    assert instances.destroy(database, uuid) is None  # active: kept
    instances.update(database, uuid, {'state': instances.DELETING})
    assert instances.destroy(database, uuid).host == 'node-1'
    assert instances.destroy(database, uuid) is None

    assert usage(database, 'node-1') == (0, 0)
    with pytest.raises(exception.InstanceNotFound):
        instances.get(database, uuid)
    assert instances.get_all(database) == []


def test_list_by_project(database: Database) -> None:
    mine = instances.create(database, 'a', 1, 1, 'p1', 'u').uuid
    instances.create(database, 'b', 1, 1, 'p2', 'u')

    assert [row.uuid for row in instances.get_all(database, project_id='p1',
                                                  every_project=False)] == [mine]
    # A caller with no project owns only what was created with none.
    assert instances.get_all(database, project_id=None, every_project=False) == []
    assert len(instances.get_all(database)) == 2
