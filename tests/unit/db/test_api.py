from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from oslo_config import cfg

from svcframe import exception
from svcframe import servicegroup
from svcframe.db import migration
from svcframe.db.api import Database


def test_default_database_is_a_sqlite_file_under_state_path(conf: cfg.ConfigOpts,
                                                            tmp_path: Path) -> None:
    conf.set_override('state_path', str(tmp_path / 'state'))
    database = Database(conf)

    assert database.url == 'sqlite:///%s' % (tmp_path / 'state' / 'svcframe.sqlite')
    assert migration.version(database) is None
    migration.sync(database)
    migration.sync(database)  # again: nothing to do
    assert migration.version(database) == migration.head() == '0001'
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql('PRAGMA journal_mode').scalar() == 'wal'
    database.close()


def test_a_new_service_starts_enabled_and_unseen(database: Database) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    stored = database.service_get(service.id)
    assert (stored.host, stored.binary, stored.topic) == ('node-1', 'svcframe-compute',
                                                          'compute')
    assert (stored.disabled, stored.forced_down, stored.report_count) == (False, False, 0)
    assert stored.last_seen_up is None and len(stored.uuid) == 36


def test_one_record_per_host_and_binary(database: Database) -> None:
    database.service_create('node-1', 'svcframe-compute', 'compute')

    with pytest.raises(exception.ServiceExists):
        database.service_create('node-1', 'svcframe-compute', 'compute')
    database.service_create('node-2', 'svcframe-compute', 'compute')


def test_list_filters_by_host_and_binary(database: Database) -> None:
    database.service_create('a', 'svcframe-compute', 'compute')
    database.service_create('a', 'svcframe-conductor', 'conductor')
    database.service_create('b', 'svcframe-compute', 'compute')

    assert [(s.host, s.binary) for s in database.service_get_all(host='a')] == [
        ('a', 'svcframe-compute'), ('a', 'svcframe-conductor')]
    assert [s.host for s in database.service_get_all(binary='svcframe-compute')] == ['a', 'b']
    assert database.service_get_by_host_and_binary('b', 'svcframe-compute').host == 'b'
    assert database.service_get_by_host_and_binary('c', 'svcframe-compute') is None


def test_heartbeat_counts_and_stamps(database: Database) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    database.service_report(service.id)
    database.service_report(service.id)

    stored = database.service_get(service.id)
    assert stored.report_count == 2
    assert stored.last_seen_up is not None


def test_update_changes_the_named_fields(database: Database) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    updated = database.service_update(service.id, {'disabled': True,
                                                   'disabled_reason': 'maintenance'})

    assert (updated.disabled, updated.disabled_reason) == (True, 'maintenance')
    assert updated.updated_at is not None


def test_deleted_service_is_gone_and_may_register_again(database: Database) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')

    database.service_destroy(service.id)

    with pytest.raises(exception.ServiceNotFound):
        database.service_get(service.id)
    assert database.service_get_all() == []
    again = database.service_create('node-1', 'svcframe-compute', 'compute')
    assert again.id != service.id


@pytest.mark.parametrize('operation', [
    lambda db: db.service_get(99), lambda db: db.service_update(99, {'disabled': True}),
    lambda db: db.service_destroy(99), lambda db: db.service_report(99)])
def test_unknown_id_is_not_found(database: Database, operation) -> None:
    with pytest.raises(exception.ServiceNotFound) as raised:
        operation(database)

    assert str(raised.value) == 'no service with id 99'


def test_up_means_seen_within_service_down_time_and_not_forced_down(
        database: Database, conf: cfg.ConfigOpts) -> None:
    service = database.service_create('node-1', 'svcframe-compute', 'compute')
    assert servicegroup.state(service, conf) == 'down'  # never reported
    database.service_report(service.id)
    seen = database.service_get(service.id)
    later = seen.last_seen_up + datetime.timedelta(seconds=conf.service_down_time)

    assert servicegroup.is_up(seen, conf, now=later)
    assert not servicegroup.is_up(seen, conf, now=later + datetime.timedelta(seconds=1))
    forced = database.service_update(service.id, {'forced_down': True})
    assert servicegroup.state(forced, conf, now=seen.last_seen_up) == 'down'
