"""Leases and take-over: an instance whose conductor died is carried on."""

from __future__ import annotations

import datetime
import logging
from concurrent import futures

import oslo_messaging as messaging
import pytest
import sqlalchemy as sa
from oslo_config import cfg

from svcframe import exception
from svcframe.conductor import manager as conductor_manager

from svcframe.conductor.manager import ConductorManager
from svcframe.db import instances
from svcframe.db import leases
from svcframe.db import models
from svcframe.db.api import Database
from tests.unit.conductor.conftest import CTX, new, used


def age(database: Database, uuid: str, lease_seconds: float = 1,
        task_seconds: float = 0) -> None:
    """As if the lease had expired ``lease_seconds`` ago and the request
    was accepted ``task_seconds`` ago."""
    now = models.utcnow()
    values = {'lease_expires_at': now - datetime.timedelta(seconds=lease_seconds)}
    if task_seconds:
        values['task_started_at'] = now - datetime.timedelta(seconds=task_seconds)
    with database.engine.begin() as connection:
        connection.execute(sa.update(instances.INSTANCES)
                           .where(instances.INSTANCES.c.uuid == uuid).values(**values))


def held_by(database: Database, uuid: str, holder: str) -> None:
    assert leases.take(database, uuid, holder, 30, instances.BUILDING)


def test_a_build_held_by_a_live_conductor_is_left_to_it(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    held_by(database, instance['uuid'], 'other/1/x')

    conductor.build_instance(CTX, instance)
    conductor.take_over_expired(CTX)

    assert conductor.compute.casts == []
    assert instances.get(database, instance['uuid']).host is None


def test_a_build_whose_conductor_died_before_scheduling_is_scheduled_by_another(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    held_by(database, instance['uuid'], 'dead/1/x')
    age(database, instance['uuid'])

    conductor.take_over_expired(CTX)

    [(step, host, sent, tried)] = conductor.compute.casts
    assert (step, host, sent['uuid'], tried) == ('build', 'node-1', instance['uuid'],
                                                 ['node-1'])
    record = instances.get(database, instance['uuid'])
    assert record.lease_holder == conductor.leases.holder and record.host == 'node-1'
    assert used(database, 'node-1') == 1


def test_a_cast_that_never_reached_a_conductor_is_picked_up_once_its_lease_expires(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)  # the API's cast was lost: nobody holds it
    conductor.take_over_expired(CTX)
    assert conductor.compute.casts == []  # not yet: the lease runs

    age(database, instance['uuid'])
    conductor.take_over_expired(CTX)

    assert [cast[:2] for cast in conductor.compute.casts] == [('build', 'node-1')]


def test_a_build_its_host_never_reported_is_sent_again_then_ends_in_error(
        conductor: ConductorManager, database: Database, conf: cfg.ConfigOpts) -> None:
    conf.set_override('max_attempts', 2, group='scheduler')
    instance = new(database)
    conductor.build_instance(CTX, instance)
    uuid = instance['uuid']

    age(database, uuid)
    conductor.take_over_expired(CTX)
    age(database, uuid)
    conductor.take_over_expired(CTX)

    assert [(c[0], c[1], c[3]) for c in conductor.compute.casts] == [
        ('build', 'node-1', ['node-1']), ('build', 'node-1', ['node-1', 'node-1'])]
    record = instances.get(database, uuid)
    assert (record.state, record.host, record.lease_holder) == (instances.ERROR, None, None)
    assert record.fault == ('The build was sent 2 time(s) ([scheduler] max_attempts = 2) '
                            'and host node-1 never reported it.')
    assert used(database, 'node-1') == 0


def test_a_report_after_the_build_was_sent_again_makes_it_active_once(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    conductor.build_instance(CTX, instance)
    age(database, instance['uuid'])
    conductor.take_over_expired(CTX)

    conductor.build_finished(CTX, instance, 'node-1', None, ['node-1', 'node-1'])
    conductor.build_finished(CTX, instance, 'node-1', None, ['node-1', 'node-1'])

    record = instances.get(database, instance['uuid'])
    assert (record.state, record.lease_holder, record.lease_expires_at) == (
        instances.ACTIVE, None, None)
    assert used(database, 'node-1') == 1


def test_a_delete_whose_conductor_died_is_finished_by_another(
        conductor: ConductorManager, database: Database) -> None:
    placed, unplaced = new(database), new(database)
    conductor.build_instance(CTX, placed)
    conductor.build_finished(CTX, placed, 'node-1', None, ['node-1'])
    for instance in (placed, unplaced):
        assert instances.start_delete(database, instance['uuid'], 30)
        assert leases.take(database, instance['uuid'], 'dead/1/x', 30, instances.DELETING)
        age(database, instance['uuid'])

    conductor.take_over_expired(CTX)

    assert conductor.compute.casts[-1][:2] == ('terminate', 'node-1')
    assert [i.uuid for i in instances.get_all(database)] == [placed['uuid']]
    conductor.instance_destroyed(CTX, placed['uuid'], 'node-1')
    assert instances.get_all(database) == [] and used(database, 'node-1') == 0


def test_an_instance_past_the_bound_ends_in_error_with_its_claim_freed(
        conductor: ConductorManager, database: Database, conf: cfg.ConfigOpts) -> None:
    instance = new(database)
    conductor.build_instance(CTX, instance)
    age(database, instance['uuid'], task_seconds=conf.conductor.action_timeout + 1)

    conductor.take_over_expired(CTX)

    record = instances.get(database, instance['uuid'])
    assert record.state == instances.ERROR and record.host is None
    assert record.fault == ('Not built within [conductor] action_timeout = 600 s of the '
                            'request (last sent to host node-1).')
    assert used(database, 'node-1') == 0
    assert len(conductor.compute.casts) == 1  # not sent again


class SilentScheduler:
    def select_destinations(self, *args: object, **kwargs: object) -> list[str]:
        raise messaging.MessagingTimeout('no reply')


def test_a_scheduler_that_does_not_answer_leaves_the_build_to_be_taken_over(
        conductor: ConductorManager, database: Database) -> None:
    scheduler = conductor.scheduler
    conductor.scheduler = SilentScheduler()
    instance = new(database)

    conductor.build_instance(CTX, instance)

    record = instances.get(database, instance['uuid'])
    assert record.state == instances.BUILDING and conductor.leases.scheduling == set()
    conductor.scheduler = scheduler
    age(database, instance['uuid'])
    conductor.take_over_expired(CTX)
    assert instances.get(database, instance['uuid']).host == 'node-1'


def test_the_leases_of_builds_being_scheduled_are_renewed(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    held_by(database, instance['uuid'], conductor.leases.holder)
    conductor.leases.scheduling.add(instance['uuid'])
    age(database, instance['uuid'])

    conductor.take_over_expired(CTX)

    record = instances.get(database, instance['uuid'])
    assert record.lease_expires_at > models.utcnow()
    assert conductor.compute.casts == []  # renewed, so not taken over


def test_a_step_stopped_by_the_database_or_broker_is_one_line_not_a_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger='svcframe.conductor.manager')
    for error in (exception.DatabaseUnavailable('postgresql://db/x', 'refused'),
                  messaging.MessageDeliveryFailure('broker gone')):
        future = futures.Future()
        future.set_exception(error)
        conductor_manager._log_failure(future)

    assert [(r.levelname, r.exc_info) for r in caplog.records] == [('WARNING', None)] * 2


def test_the_scheduler_is_given_one_lease_to_answer(
        conductor: ConductorManager, database: Database, conf: cfg.ConfigOpts) -> None:
    """A call lost on its way (a broker restart) costs a lease, after which
    the build is scheduled again, not rpc_response_timeout."""
    conductor.build_instance(CTX, new(database))

    assert conductor.scheduler.timeouts == [conf.conductor.lease_seconds]
