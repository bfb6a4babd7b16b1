from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe import exception
from svcframe import servicegroup
from svcframe.db import api as db_api
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
    assert migration.version(database) == migration.head() == '0004'
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


def test_list_pages_in_id_order_after_the_marker(database: Database) -> None:
    ids = [database.service_create('node-%d' % index, 'svcframe-compute', 'compute').id
           for index in range(5)]

    assert [s.id for s in database.service_get_all(limit=2)] == ids[:2]
    assert [s.id for s in database.service_get_all(limit=2, marker=ids[1])] == ids[2:4]
    assert [s.id for s in database.service_get_all(marker=ids[3])] == ids[4:]
    assert [s.id for s in database.service_get_all()] == ids  # no limit: every record


def test_a_deleted_marker_still_marks_the_place_and_an_unknown_one_is_not_found(
        database: Database) -> None:
    ids = [database.service_create('node-%d' % index, 'svcframe-compute', 'compute').id
           for index in range(3)]
    database.service_destroy(ids[0])

    assert [s.id for s in database.service_get_all(marker=ids[0])] == ids[1:]
    with pytest.raises(exception.ServiceNotFound):
        database.service_get_all(marker=ids[-1] + 100)


def test_a_connection_that_fails_is_database_unavailable_with_the_reason(
        database: Database) -> None:
    @db_api.reachable
    def refused(db: Database) -> None:
        # As SQLAlchemy raises it when a new connection fails: no statement.
        raise sa.exc.OperationalError(None, None, Exception(
            'connection to server at "db", port 5432 failed: Connection refused'))

    with pytest.raises(exception.DatabaseUnavailable) as raised:
        refused(database)

    assert str(raised.value) == ('database %s is unreachable: connection to server at "db", '
                                 'port 5432 failed: Connection refused' % database.safe_url)


def test_a_statement_that_fails_is_not_mistaken_for_an_unreachable_database(
        database: Database) -> None:
    @db_api.reachable
    def locked(db: Database) -> None:
        raise sa.exc.OperationalError('UPDATE services SET report_count = 1', {},
                                      Exception('database is locked'))

    with pytest.raises(sa.exc.OperationalError):
        locked(database)


@pytest.mark.parametrize('service_id', [0, -1, db_api.MAX_ID + 1, 10 ** 20])
def test_an_id_no_record_can_have_is_not_found(database: Database, service_id: int) -> None:
    # A number beyond the id column would make SQLite's driver raise instead.
    for call in (lambda: database.service_get(service_id),
                 lambda: database.service_update(service_id, {'disabled': True}),
                 lambda: database.service_destroy(service_id),
                 lambda: database.service_get_all(marker=service_id)):
        with pytest.raises(exception.ServiceNotFound):
            call()


def test_each_database_takes_its_pool_options_from_its_own_conf(tmp_path: Path) -> None:
    # oslo.db gives a SQLite file no pool to size, but every pool recycles.
    # Neither value is oslo.db's default (3600), which the global CONF holds.
    recycle = {'fast': 60, 'slow': 120}
    databases = {}
    for name, seconds in recycle.items():
        conf = cfg.ConfigOpts()
        svcframe_conf.register_all(conf)
        conf([], project='svcframe-unit-tests', default_config_files=[])
        conf.set_override('state_path', str(tmp_path / name))
        conf.set_override('connection_recycle_time', seconds, group='database')
        databases[name] = Database(conf)
    try:
        assert {name: database.engine.pool._recycle
                for name, database in databases.items()} == recycle
    finally:
        for database in databases.values():
            database.close()


def test_engine_options_are_the_conf_values_create_engine_takes(conf: cfg.ConfigOpts) -> None:
    conf.set_override('max_retries', 2, group='database')
    conf.set_override('connection_recycle_time', 60, group='database')

    options = db_api.engine_options(conf)

    assert options['max_retries'] == 2
    assert options['connection_recycle_time'] == 60
    # [database] options that are not the engine's stay out.
    assert 'connection' not in options and 'db_max_retries' not in options
