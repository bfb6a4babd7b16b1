"""A minute of chaos loses nothing (issue 16).

Two conductors, two schedulers, three computes and the API on a private
RabbitMQ node and a private PostgreSQL cluster, under a steady stream of
creates and deletes. A random process is SIGKILLed and started again every
few seconds; every fourth fault restarts the broker or the database instead.
Afterwards every accepted instance has ended (active, in error saying why,
or deleted) within the bound, no host's usage is wrong, and the API never
answered a 5xx other than 503.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration import chaos
from tests.integration.conftest import ServiceRunner
from tests.real_servers import absent

pytestmark = pytest.mark.integration


@pytest.fixture
def servers() -> Iterator[tuple]:
    reason = chaos.why_unavailable()
    if reason is not None:
        absent('no private RabbitMQ node or PostgreSQL cluster: %s' % reason)
    with chaos.private_servers() as running:
        yield running


def test_a_minute_of_kills_and_outages_loses_nothing(
        services: ServiceRunner, servers: tuple) -> None:
    node, cluster = servers
    result = chaos.ChaosRun(services, node, cluster, chaos.Settings(seconds=60)).run()
    report = chaos.report(result)
    print(report)  # shown by pytest when the test fails

    kinds = {fault.what.split()[0] for fault in result.faults}
    assert {'kill', chaos.BROKER, chaos.DATABASE} <= kinds, report
    assert result.client_errors == [], report
    assert result.accepted > 0, report
    assert result.server_errors == [], report
    assert result.stuck == [], report
    assert result.unended == [], report
    assert sum(result.ends.values()) == result.accepted, report
    assert result.leaked == [], report
    assert result.exited == [], report
    assert None not in [fault.recovery for fault in result.faults], report
