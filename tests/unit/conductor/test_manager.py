"""The conductor's side of the instance flow, with the other services faked."""

from __future__ import annotations

import logging

import pytest
from oslo_config import cfg

from svcframe.conductor.manager import ConductorManager
from svcframe.db import compute_nodes
from svcframe.db import instances
from svcframe.db.api import Database
from tests.unit.conductor.conftest import CTX, new, used


def test_build_claims_the_first_host_with_room_and_casts_there(
        conductor: ConductorManager, database: Database) -> None:
    compute_nodes.report(database, 'node-1', vcpus=0, memory_mb=2048)  # no room
    instance = new(database)
    uuid = instance['uuid']

    conductor.build_instance(CTX, instance)

    assert conductor.compute.casts == [('build', 'node-2', instance, ['node-2'])]
    assert used(database, 'node-2') == 1
    assert instances.get(database, uuid).host == 'node-2'

    conductor.build_finished(CTX, conductor.compute.casts[0][2], 'node-2', None, ['node-2'])
    assert instances.get(database, uuid).state == 'active'


def test_a_host_disabled_since_the_scheduler_looked_is_passed_over(
        conductor: ConductorManager, database: Database) -> None:
    node_1 = database.service_get_by_host_and_binary('node-1', 'svcframe-compute')
    database.service_update(node_1.id, {'disabled': True})

    conductor.build_instance(CTX, new(database))

    assert conductor.compute.casts[0][1] == 'node-2'


def test_no_room_anywhere_is_no_valid_host_after_a_fresh_look(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database, vcpus=3)
    uuid = instance['uuid']

    conductor.build_instance(CTX, instance)

    record = instances.get(database, uuid)
    assert (record.state, record.host) == ('error', None)
    assert record.fault.startswith('No valid host was found.')
    assert [fresh for _, fresh in conductor.scheduler.calls] == [False, True]
    assert conductor.compute.casts == []


def test_a_failed_build_frees_its_claim_and_is_retried_elsewhere(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    conductor.build_instance(CTX, instance)

    conductor.build_finished(CTX, instance, 'node-1', 'disk on fire', ['node-1'])

    assert used(database, 'node-1') == 0
    assert conductor.compute.casts[-1][1::2] == ('node-2', ['node-1', 'node-2'])
    assert used(database, 'node-2') == 1


def test_past_max_attempts_the_instance_is_in_error_with_the_fault(
        conductor: ConductorManager, conf: cfg.ConfigOpts, database: Database) -> None:
    conf.set_override('max_attempts', 2, group='scheduler')
    instance = new(database)
    uuid = instance['uuid']
    conductor.build_instance(CTX, instance)
    conductor.build_finished(CTX, instance, 'node-1', 'disk on fire', ['node-1'])

    conductor.build_finished(CTX, instance, 'node-2', 'no power', ['node-1', 'node-2'])

    record = instances.get(database, uuid)
    assert (record.state, record.host) == ('error', None)
    assert 'max_attempts = 2' in record.fault and 'no power' in record.fault
    assert used(database, 'node-1') == used(database, 'node-2') == 0


def test_delete_goes_through_the_host_and_frees_the_claim(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    uuid = instance['uuid']
    conductor.build_instance(CTX, instance)
    conductor.build_finished(CTX, instance, 'node-1', None, ['node-1'])
    instances.update(database, uuid, {'state': instances.DELETING})

    conductor.delete_instance(CTX, uuid)
    assert conductor.compute.casts[-1] == ('terminate', 'node-1', instance, None)
    assert used(database, 'node-1') == 1  # until the host has torn it down

    conductor.instance_destroyed(CTX, uuid, 'node-1')
    assert used(database, 'node-1') == 0
    assert instances.get_all(database) == []


def test_an_instance_without_a_host_is_deleted_at_once(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    uuid = instance['uuid']
    instances.update(database, uuid, {'state': instances.DELETING})

    conductor.delete_instance(CTX, uuid)
    conductor.build_instance(CTX, instance)  # its build, arriving late

    assert instances.get_all(database) == []
    assert conductor.compute.casts == []


def test_a_build_that_finishes_after_a_delete_is_torn_down(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    uuid = instance['uuid']
    conductor.build_instance(CTX, instance)
    instances.update(database, uuid, {'state': instances.DELETING})

    conductor.build_finished(CTX, instance, 'node-1', None, ['node-1'])

    assert instances.get(database, uuid).state == 'deleting'
    assert conductor.compute.casts[-1] == ('terminate', 'node-1', instance, None)


def test_host_states_say_enabled_and_up(conductor: ConductorManager,
                                        database: Database) -> None:
    node_2 = database.service_get_by_host_and_binary('node-2', 'svcframe-compute')
    database.service_update(node_2.id, {'disabled': True, 'forced_down': True})

    states = {s['host']: s for s in conductor.host_states(CTX)}

    assert (states['node-1']['enabled'], states['node-1']['up']) == (True, True)
    assert (states['node-2']['enabled'], states['node-2']['up']) == (False, False)
    assert states['node-1']['vcpus'] == 2 and states['node-1']['vcpus_used'] == 0


def test_a_build_on_a_host_that_went_down_fails_and_frees_its_claim(
        conductor: ConductorManager, database: Database) -> None:
    instance = new(database)
    conductor.build_instance(CTX, instance)
    host = instances.get(database, instance['uuid']).host
    assert used(database, host) == 1
    conductor.fail_builds_on_lost_hosts(CTX)  # the host is up: nothing to do
    assert instances.get(database, instance['uuid']).state == instances.BUILDING

    service = database.service_get_by_host_and_binary(host, 'svcframe-compute')
    database.service_update(service.id, {'forced_down': True})
    conductor.fail_builds_on_lost_hosts(CTX)

    record = instances.get(database, instance['uuid'])
    assert record.state == instances.ERROR
    assert 'Compute host %s went down during the build' % host in record.fault
    assert used(database, host) == 0
    # The host comes back and reports the build it finished: it is told to
    # tear it down, and nothing is freed twice.
    conductor.build_finished(CTX, instance, host, None, [host])
    assert conductor.compute.casts[-1][:2] == ('terminate', host)
    assert used(database, host) == 0
    assert instances.get(database, instance['uuid']).state == instances.ERROR


def test_the_clients_name_and_a_drivers_fault_are_escaped_in_log_lines(
        conductor: ConductorManager, conf: cfg.ConfigOpts, database: Database,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger='svcframe.conductor.manager')
    conf.set_override('max_attempts', 1, group='scheduler')
    instance = dict(new(database), name='vm\n2026-01-01 CRITICAL forged')

    conductor.build_instance(CTX, instance)
    conductor.build_finished(CTX, instance, 'node-1', "failed building 'vm\nforged'",
                             ['node-1'])

    messages = [r.getMessage() for r in caplog.records
                if r.name == 'svcframe.conductor.manager']
    assert messages[0].endswith('(vm\\x0a2026-01-01 CRITICAL forged): building on node-1')
    assert messages[-1].endswith("the last said: failed building 'vm\\x0aforged'")
    assert all(message.splitlines() == [message] for message in messages)
    # The record keeps the fault as it was: the API renders it as JSON.
    assert instances.get(database, instance['uuid']).fault.endswith("'vm\nforged'")
