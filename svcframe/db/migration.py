"""Schema migrations with alembic: ``svcframe-manage db sync`` and ``db version``,
and the check of a database's schema that the services make as they start.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import command
from oslo_db import exception as db_exception

from svcframe import exception
from svcframe.db import api as db_api
from svcframe.db import schema
from svcframe.db.api import Database

MIGRATIONS = schema.MIGRATIONS


def sync(database: Database, revision: str = 'head') -> None:
    """Upgrade the schema to ``revision``; a no-op when it is there.

    SchemaMismatch when the database is at a revision this release does not
    know: alembic cannot go from there, and only a newer svcframe can.
    """
    with database.engine.begin() as connection:
        error = schema.mismatch(database.safe_url, schema.current(connection))
        if error is not None and error.unknown:
            raise error
        command.upgrade(schema.alembic_configuration(connection), revision)


def version(database: Database) -> str | None:
    """The schema's revision, None before the first sync."""
    with database.engine.connect() as connection:
        return schema.current(connection)


def head() -> str:
    return schema.head()


def check(database: Database) -> None:
    """SchemaMismatch unless the schema is this release's head.

    DatabaseUnavailable when the database cannot be reached (after oslo.db's
    connection retries).
    """
    try:
        with database.engine.connect() as connection:
            schema.check(connection, database.safe_url)
    except (db_exception.DBConnectionError, sa.exc.OperationalError) as error:
        raise db_api.unavailable(database, error) from error


def check_if_reachable(database: Database) -> bool:
    """check() for a service starting: False, nothing checked, when the
    database does not answer at once.

    Such a service starts anyway and its heartbeat retries, as for a database
    lost later (a missing table then comes back as SchemaMismatch). One
    connection attempt decides, so that oslo.db's retries do not hold the
    start for ``max_retries * retry_interval``.
    """
    if _sqlite_file_missing(database):
        # Never migrated, and a refused start leaves no empty file behind.
        raise schema.never_migrated(database.safe_url)
    if not answers(database):
        return False
    try:
        check(database)
    except exception.SchemaMismatch:
        raise
    except exception.DatabaseUnavailable:
        return False  # it went away in between
    return True


def answers(database: Database) -> bool:
    """Whether the database accepts a connection now; one attempt, no retries.

    A SQLite file is opened (and created) by Database itself: it answers.
    InvalidOptionValue for a URL no installed driver can open.
    """
    if database.url.startswith('sqlite'):
        return True
    try:
        engine = sa.create_engine(database.url, poolclass=sa.pool.NullPool)
    except (ImportError, sa.exc.ArgumentError) as error:
        raise exception.InvalidOptionValue(
            'database', 'connection', database.safe_url,
            'a URL whose SQLAlchemy driver is installed (%s)' % db_api.reason(error)) from error
    try:
        with engine.connect():
            return True
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


def _sqlite_file_missing(database: Database) -> bool:
    url = sa.engine.make_url(database.url)
    return (url.get_backend_name() == 'sqlite' and url.database not in (None, '', ':memory:')
            and not os.path.exists(url.database))
