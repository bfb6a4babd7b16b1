"""Quotas hold under concurrent creates, on every database backend.

Creates racing for the last units of a project's quota: exactly as many
pass as fit, first on the database calls themselves (many threads, one
engine), then through svcframe-api processes on PostgreSQL and MariaDB.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from svcframe import exception
from svcframe.db import instances
from svcframe.db import migration
from svcframe.db import quotas
from svcframe.db.api import Database
from tests.integration.conftest import ServiceRunner
from tests.integration.test_instances import SIZE, Cloud

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

LIMITS = {'instances': 10, 'vcpus': 6, 'memory_mb': -1}


def race(database: Database, project: str, attempts: int) -> list[bool]:
    """``attempts`` creates of one vCPU each, released together; which passed."""
    start = threading.Barrier(attempts)

    def attempt(index: int) -> bool:
        start.wait()
        try:
            instances.create(database, 'vm-%d' % index, 1, 64, project, 'u', quota=LIMITS)
        except exception.QuotaExceeded:
            return False
        return True

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


def test_creates_racing_for_the_last_unit_pass_exactly_once(database: Database) -> None:
    migration.sync(database)
    for index in range(5):
        instances.create(database, 'held-%d' % index, 1, 64, 'p', 'u', quota=LIMITS)

    results = race(database, 'p', 12)

    assert results.count(True) == 1
    assert quotas.get_usage(database, 'p') == {'instances': 6, 'vcpus': 6, 'memory_mb': 384}


def test_creates_racing_for_an_empty_quota_take_exactly_the_limit(database: Database) -> None:
    migration.sync(database)
    # The project's lock row does not exist yet: the racers create it too.
    results = race(database, 'fresh', 16)

    assert results.count(True) == LIMITS['vcpus']
    assert quotas.get_usage(database, 'fresh')['vcpus'] == LIMITS['vcpus']
    assert quotas.get_usage(database, 'other') == {'instances': 0, 'vcpus': 0, 'memory_mb': 0}


@pytest.mark.parametrize('database_url', ['postgresql', 'mysql'], indirect=True)
def test_concurrent_api_creates_stop_at_the_quota(make_cloud) -> None:
    # Room on the hosts for all of them: only the quota refuses.
    cloud = make_cloud(vcpus=10, extra=lambda hosts: '[quota]\nvcpus = 3\n')

    def create(index: int) -> tuple[int, object]:
        return cloud.request('POST', '/v1/instances',
                             {'instance': dict(SIZE, name='q-%d' % index)})

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(create, range(12)))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [202] * 3 + [403] * 9
    refused = next(body for status, body in answers if status == 403)
    assert 'quota vcpus of project admin exceeded: 3 in use + 1 requested > limit 3' in \
        refused['error']['message']
    status, body = cloud.request('GET', '/v1/quotas/admin')
    assert status == 200
    assert body['quota']['usage']['vcpus'] == 3
    assert body['quota']['limits']['vcpus'] == 3


@pytest.fixture
def make_cloud(services: ServiceRunner, database: Database, rabbit_url: str,
               database_url: str):
    return lambda vcpus, extra=None: Cloud(services, database, rabbit_url, database_url,
                                           vcpus, extra)
