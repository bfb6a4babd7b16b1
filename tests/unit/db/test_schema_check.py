"""The schema a database has against the one this release needs, on SQLite files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import webob
from oslo_config import cfg

from svcframe import context
from svcframe import exception
from svcframe.api import auth
from svcframe.api import policy
from svcframe.api.router import APIRouter
from svcframe.cmd import manage_commands
from svcframe.db import instances
from svcframe.db import migration
from svcframe.db import schema
from svcframe.db.api import Database

SYNC = 'run "svcframe-manage db sync"'


@pytest.fixture
def blank(conf: cfg.ConfigOpts, tmp_path: Path) -> Iterator[Database]:
    """A Database on a SQLite file that was never migrated."""
    conf.set_override('state_path', str(tmp_path / 'state'))
    database = Database(conf)
    yield database
    database.close()


def set_revision(database: Database, revision: str) -> None:
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '%s'" % revision)


def mismatch(database: Database) -> exception.SchemaMismatch:
    with pytest.raises(exception.SchemaMismatch) as raised:
        migration.check(database)
    return raised.value


def test_a_database_never_migrated_names_db_sync(blank: Database) -> None:
    error = mismatch(blank)

    assert (error.found, error.wanted, error.unknown) == (None, migration.head(), False)
    assert str(error) == ('database %s has no svcframe schema (revision none, this release '
                          'needs %s): %s' % (blank.safe_url, migration.head(), SYNC))
    assert isinstance(error, exception.DatabaseUnavailable)  # waited out like one


def test_an_older_revision_names_both_revisions_and_db_sync(blank: Database) -> None:
    migration.sync(blank, '0001')

    error = mismatch(blank)

    assert (error.found, error.wanted, error.unknown) == ('0001', migration.head(), False)
    assert 'schema revision 0001, older than the %s' % migration.head() in str(error)
    assert str(error).endswith(SYNC)


def test_a_revision_the_code_does_not_know_says_to_upgrade_svcframe(blank: Database) -> None:
    migration.sync(blank)
    set_revision(blank, '0999')

    error = mismatch(blank)

    assert (error.found, error.unknown) == ('0999', True)
    assert 'schema revision 0999, which this release does not know' in str(error)
    assert 'upgrade svcframe' in str(error) and 'db sync' not in str(error)
    # db sync cannot go back from there either: the same error, nothing changed.
    with pytest.raises(exception.SchemaMismatch):
        migration.sync(blank)
    assert migration.version(blank) == '0999'


def test_the_head_revision_passes(blank: Database) -> None:
    migration.sync(blank)

    migration.check(blank)
    assert migration.check_if_reachable(blank) is True


def test_check_at_start_refuses_a_missing_sqlite_file_without_creating_it(
        blank: Database, tmp_path: Path) -> None:
    with pytest.raises(exception.SchemaMismatch) as raised:
        migration.check_if_reachable(blank)

    assert raised.value.found is None
    assert not (tmp_path / 'state' / 'svcframe.sqlite').exists()


def test_check_at_start_refuses_an_older_revision(blank: Database) -> None:
    migration.sync(blank, '0002')

    with pytest.raises(exception.SchemaMismatch) as raised:
        migration.check_if_reachable(blank)

    assert raised.value.found == '0002'


def test_a_query_on_a_database_never_migrated_raises_the_same_error(blank: Database) -> None:
    with pytest.raises(exception.SchemaMismatch) as raised:
        blank.service_get_all()

    assert raised.value.found is None and SYNC in str(raised.value)
    assert raised.value.table == 'services'


def test_a_query_on_a_table_an_older_revision_lacks_names_the_revision(
        blank: Database) -> None:
    migration.sync(blank, '0001')
    blank.service_get_all()  # the table of 0001 is there

    with pytest.raises(exception.SchemaMismatch) as raised:
        instances.get_all(blank)

    assert raised.value.found == '0001' and raised.value.table == 'instances'
    assert str(raised.value).endswith(SYNC)


def test_a_table_dropped_at_the_head_revision_is_named(blank: Database) -> None:
    migration.sync(blank)
    with blank.engine.begin() as connection:
        connection.exec_driver_sql('DROP TABLE instances')

    with pytest.raises(exception.SchemaMismatch) as raised:
        instances.get_all(blank)

    assert 'revision %s, the one this release needs, but no table instances' % (
        migration.head()) in str(raised.value)


@pytest.mark.parametrize('text, table', [
    ('no such table: services', 'services'),
    ('relation "services" does not exist\nLINE 2: FROM services', 'services'),
    ('(1146, "Table \'svcframe.instances\' doesn\'t exist")', 'instances'),
    ('duplicate key value violates unique constraint', None),
])
def test_missing_tables_are_read_from_each_drivers_words(text: str, table: str | None) -> None:
    assert schema.missing_table(Exception(text)) == table


def test_postgresql_undefined_table_in_another_language_is_still_missing() -> None:
    error = Exception('la relation « services » n\'existe pas')
    error.pgcode = schema.POSTGRESQL_UNDEFINED_TABLE
    assert schema.missing_table(error) == ''


def test_a_url_whose_driver_is_not_installed_is_a_config_error(
        conf: cfg.ConfigOpts) -> None:
    conf.set_override('connection', 'nosuchdialect://user:secret@db.example/svcframe',
                      group='database')

    with pytest.raises(exception.InvalidOptionValue) as raised:
        migration.check_if_reachable(Database(conf))

    assert '[database] connection' in str(raised.value) and 'secret' not in str(raised.value)


def test_the_api_answers_a_json_503_naming_db_sync(conf: cfg.ConfigOpts,
                                                   blank: Database) -> None:
    api = APIRouter(conf, policy.make_enforcer(conf), blank)
    req = webob.Request.blank('/services')
    req.environ[auth.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id='p', roles=['admin'], is_admin=True, overwrite=False)

    response = req.get_response(api)

    assert response.status_code == 503
    assert response.json['error']['message'] == (
        'The database schema cannot be used: %s.' % SYNC)
    assert blank.safe_url not in response.text  # no internals for clients


@pytest.mark.parametrize('args', [('service', 'list'), ('quota', 'show', 'p1')])
def test_manage_commands_refuse_an_unsynced_database_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    config_file = tmp_path / 'svcframe.conf'
    config_file.write_text('[DEFAULT]\nstate_path = %s\n' % tmp_path)
    conf = cfg.ConfigOpts()

    code = manage_commands.run(['--config-file', str(config_file), *args], conf)

    assert code == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith('svcframe-manage: error: database sqlite:///')
    assert line.endswith(SYNC)


def test_manage_db_version_and_sync_work_on_an_unsynced_database(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_file = tmp_path / 'svcframe.conf'
    config_file.write_text('[DEFAULT]\nstate_path = %s\n' % tmp_path)

    for args in (('db', 'version'), ('db', 'sync'), ('service', 'list')):
        assert manage_commands.run(['--config-file', str(config_file), *args],
                                   cfg.ConfigOpts()) == 0, capsys.readouterr().err
