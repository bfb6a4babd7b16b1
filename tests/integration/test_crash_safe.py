"""No accepted request is lost when a process dies (issue 16).

Two conductors and two schedulers (or one of each), two computes and the
API on RabbitMQ and PostgreSQL, with short leases. A process is SIGKILLed in the middle of a
batch of creates or deletes and started again: every instance must still
end active (or in error, saying why) or deleted, and each host's usage must
equal what its instances hold.
"""

from __future__ import annotations

import pytest

from svcframe.db.api import Database
from tests.integration.conftest import ServiceRunner
from tests.integration.deployment import BATCH, Deployment, Shape

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

ON_POSTGRESQL = pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)


@pytest.fixture
def deploy(services: ServiceRunner, database: Database, rabbit_url: str, database_url: str):
    return lambda conductors: Deployment(
        services, database, rabbit_url, database_url,
        Shape(conductors=conductors, schedulers=conductors)).start()


@ON_POSTGRESQL
@pytest.mark.parametrize('conductors', [2, 1])
def test_a_conductor_killed_in_a_batch_of_creates_then_of_deletes_loses_nothing(
        deploy, conductors: int) -> None:
    cloud = deploy(conductors)
    first, last = cloud.hosts('svcframe-conductor')[0], cloud.hosts('svcframe-conductor')[-1]

    ids = cloud.create_batch()
    cloud.kill_and_restart(first)
    created = cloud.settled(ids)

    assert sorted(i['state'] for i in created.values()) == ['active'] * BATCH
    cloud.usage_matches()

    cloud.delete_batch(ids)
    cloud.kill_and_restart(last)
    assert cloud.settled(ids) == {}
    cloud.usage_matches()


@ON_POSTGRESQL
@pytest.mark.parametrize('victim', ['svcframe-compute', 'svcframe-scheduler'])
def test_a_compute_or_scheduler_killed_in_a_batch_loses_nothing(deploy, victim: str) -> None:
    cloud = deploy(2)

    ids = cloud.create_batch()
    cloud.kill_and_restart(cloud.hosts(victim)[0])
    created = cloud.settled(ids)

    # A compute restarted within service_down_time lost its builds without
    # going down: they are sent again, and end active.
    assert sorted(i['state'] for i in created.values()) == ['active'] * BATCH, created
    cloud.usage_matches()

    cloud.delete_batch(ids)
    cloud.kill_and_restart(cloud.hosts(victim)[0])
    assert cloud.settled(ids) == {}
    cloud.usage_matches()
