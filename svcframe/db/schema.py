"""Which schema a database has, against the one this release's migrations make.

Below Database and the migrations, so that both can name a schema that does
not fit: a database never migrated, one at an older revision, or one at a
revision this release does not know (migrated by a newer svcframe).
"""

from __future__ import annotations

import functools
import os
import re

import sqlalchemy as sa
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from svcframe import exception

MIGRATIONS = os.path.join(os.path.dirname(__file__), 'migrations')

# A missing table in each driver's words: SQLite's, PostgreSQL's (in English;
# its SQLSTATE below covers the others) and MySQL's error 1146.
_MISSING_TABLE = (
    re.compile(r'no such table: (?P<table>\S+)'),
    re.compile(r'relation "(?P<table>[^"]+)" does not exist'),
    re.compile(r"\b1146\b.*Table '(?:[^'.]*\.)?(?P<table>[^'.]+)' doesn't exist"),
)
POSTGRESQL_UNDEFINED_TABLE = '42P01'


def alembic_configuration(connection: sa.Connection | None) -> alembic_config.Config:
    config = alembic_config.Config()
    config.set_main_option('script_location', MIGRATIONS)
    config.attributes['connection'] = connection
    return config


@functools.cache
def _script() -> alembic_script.ScriptDirectory:
    # The migrations are files installed with the package: read them once.
    return alembic_script.ScriptDirectory.from_config(alembic_configuration(None))


def head() -> str:
    """The revision this release's code needs."""
    return _script().get_current_head()


def known() -> frozenset[str]:
    """Every revision this release's migrations know."""
    return frozenset(script.revision for script in _script().walk_revisions())


def current(connection: sa.Connection) -> str | None:
    """The database's revision; None when it was never migrated."""
    return alembic_migration.MigrationContext.configure(connection).get_current_revision()


def mismatch(url: str, found: str | None) -> exception.SchemaMismatch | None:
    """The error for a database at revision ``found``; None when it fits."""
    if found == head():
        return None
    return _error(url, found)


def never_migrated(url: str) -> exception.SchemaMismatch:
    return _error(url, None)


def table_missing(url: str, found: str | None, table: str) -> exception.SchemaMismatch:
    """The error for a database at revision ``found`` that lacks ``table``
    ('' when the driver did not name it): a mismatch even at the head revision."""
    return _error(url, found, table or '(unnamed)')


def _error(url: str, found: str | None, table: str | None = None) -> exception.SchemaMismatch:
    return exception.SchemaMismatch(url, found, head(),
                                    unknown=found is not None and found not in known(),
                                    table=table)


def check(connection: sa.Connection, url: str) -> None:
    """SchemaMismatch unless the database's schema is this release's."""
    error = mismatch(url, current(connection))
    if error is not None:
        raise error


def missing_table(error: BaseException) -> str | None:
    """The table a driver's error says does not exist ('' if it names none), or None."""
    text = str(error)
    for pattern in _MISSING_TABLE:
        match = pattern.search(text)
        if match:
            return match.group('table')
    if getattr(error, 'pgcode', None) == POSTGRESQL_UNDEFINED_TABLE:
        return ''
    return None
