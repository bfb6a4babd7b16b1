"""Quotas on SQLite: limits, usage, and the check inside a create."""

from __future__ import annotations

import threading

import pytest
from oslo_config import cfg

from svcframe import exception
from svcframe.db import instances
from svcframe.db import quotas
from svcframe.db.api import Database

LIMITS = {'instances': 3, 'vcpus': 4, 'memory_mb': 2048}


def create(database: Database, project: str = 'p', vcpus: int = 1,
           memory_mb: int = 512) -> str:
    return instances.create(database, 'vm', vcpus, memory_mb, project, 'u',
                            quota=LIMITS).uuid


def test_defaults_come_from_the_quota_options(conf: cfg.ConfigOpts) -> None:
    assert quotas.defaults(conf) == {'instances': 10, 'vcpus': 20, 'memory_mb': 51200}
    conf.set_override('vcpus', -1, group='quota')
    assert quotas.defaults(conf)['vcpus'] == -1


def test_a_project_limit_overrides_the_default_for_that_project_only(
        database: Database) -> None:
    quotas.set_limits(database, 'p', {'vcpus': 7})
    quotas.set_limits(database, 'p', {'vcpus': 8, 'instances': -1})

    assert quotas.get_limits(database, 'p', LIMITS) == {
        'instances': -1, 'vcpus': 8, 'memory_mb': 2048}
    assert quotas.get_limits(database, 'q', LIMITS) == LIMITS


def test_usage_counts_the_live_instances_of_the_project(database: Database) -> None:
    create(database, vcpus=2, memory_mb=256)
    gone = create(database)
    create(database, project='q')
    instances.update(database, gone, {'state': instances.DELETING})
    instances.destroy(database, gone)

    assert quotas.get_usage(database, 'p') == {'instances': 1, 'vcpus': 2, 'memory_mb': 256}
    assert quotas.get_usage(database, 'nobody') == {'instances': 0, 'vcpus': 0,
                                                    'memory_mb': 0}


def test_a_create_past_a_limit_names_the_quota_and_stores_nothing(
        database: Database) -> None:
    create(database, vcpus=3)

    with pytest.raises(exception.QuotaExceeded) as raised:
        create(database, vcpus=2)

    assert str(raised.value) == ('quota vcpus of project p exceeded: 3 in use + 2 requested '
                                 '> limit 4')
    assert (raised.value.resource, raised.value.limit, raised.value.in_use) == ('vcpus', 4, 3)
    assert len(instances.get_all(database)) == 1


def test_a_deleted_instance_frees_its_quota(database: Database) -> None:
    uuids = [create(database) for _ in range(3)]
    with pytest.raises(exception.QuotaExceeded, match='quota instances of project p'):
        create(database)

    instances.update(database, uuids[0], {'state': instances.DELETING})
    instances.destroy(database, uuids[0])

    create(database)


def test_minus_one_is_no_limit(database: Database) -> None:
    quotas.set_limits(database, 'p', {'instances': -1, 'vcpus': -1, 'memory_mb': -1})
    for _ in range(5):
        create(database, vcpus=4, memory_mb=4096)
    assert quotas.get_usage(database, 'p')['instances'] == 5


def test_a_create_without_quota_or_project_is_not_checked(database: Database) -> None:
    for _ in range(5):
        instances.create(database, 'vm', 4, 4096, 'p', 'u')
    instances.create(database, 'vm', 4, 4096, None, None, quota=LIMITS)


def test_unknown_resources_are_refused(database: Database) -> None:
    with pytest.raises(ValueError, match='disks'):
        quotas.set_limits(database, 'p', {'disks': 1})


def test_concurrent_creates_never_pass_the_limit(database: Database) -> None:
    quotas.set_limits(database, 'p', {'instances': 5, 'vcpus': -1, 'memory_mb': -1})
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def attempt() -> None:
        start.wait()
        try:
            create(database)
            ok = True
        except exception.QuotaExceeded:
            ok = False
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 5
    assert quotas.get_usage(database, 'p')['instances'] == 5
