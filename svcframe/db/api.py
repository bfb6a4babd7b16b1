"""Database: the service registry's queries, on an engine from oslo.db.

One Database per process, built from ``conf`` and opened in start(); no
module-level engine. The default database is a SQLite file under
``[DEFAULT] state_path``, in WAL mode with a busy timeout, and a heartbeat is
one atomic UPDATE, so concurrent writers never see "database is locked".
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from oslo_config import cfg
from oslo_db import exception as db_exception
from oslo_db.sqlalchemy import engines
from oslo_db.sqlalchemy import exc_filters
from oslo_utils import uuidutils
from sqlalchemy import orm

from svcframe import exception
from svcframe.db import models
from svcframe.db import schema

SQLITE_FILE = 'svcframe.sqlite'
SQLITE_BUSY_TIMEOUT_MS = 10000
MAX_ID = 2 ** 31 - 1  # the largest value of the id columns (INTEGER) everywhere


def default_url(conf: cfg.ConfigOpts) -> str:
    return 'sqlite:///' + os.path.join(conf.state_path, SQLITE_FILE)


def engine_options(conf: cfg.ConfigOpts) -> dict[str, Any]:
    """The [database] options of ``conf`` that oslo.db's create_engine() takes.

    The pool, retry and MySQL options, read from the ConfigOpts given:
    oslo.db's enginefacade reads them from the global ``cfg.CONF`` instead,
    whatever ConfigOpts built the URL. Matched by name, so an option a new
    oslo.db release adds to both is passed on too.
    """
    accepted = inspect.signature(engines.create_engine).parameters
    return {name: conf.database[name] for name in conf.database if name in accepted}


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


P = ParamSpec('P')
R = TypeVar('R')


def reachable(method: Callable[Concatenate[Database, P], R]
              ) -> Callable[Concatenate[Database, P], R]:
    """Raise DatabaseUnavailable when the database cannot be reached.

    oslo.db turns a connection lost in use into DBConnectionError, but a
    PostgreSQL refusing new connections comes through as SQLAlchemy's own
    OperationalError (libpq's "connection to server ... failed" is not the
    text oslo.db matches); it has no statement, as it failed before one ran.
    Callers see one error either way, with the reason.

    A table that does not exist means a schema this release cannot use (never
    migrated, or at another revision): SchemaMismatch, which names the
    revision found and says what to do, rather than a driver's traceback.
    """
    @functools.wraps(method)
    def call(self: Database, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except db_exception.DBNonExistentTable as error:
            raise schema_mismatch(self, error.table or '') from error
        except db_exception.DBConnectionError as error:
            raise unavailable(self, error) from error
        except sa.exc.OperationalError as error:
            if error.statement is not None:
                raise  # the statement failed, not the connection
            raise unavailable(self, error) from error
    return call


class Database:

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf
        self.url = conf.database.connection or default_url(conf)
        self.safe_url = _safe(self.url)
        self._engine: sa.Engine | None = None
        self._sessions: orm.sessionmaker | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self.start()
        return self._engine

    def start(self) -> None:
        """Create the engine (oslo.db retries the first connection)."""
        if self.url.startswith('sqlite:///'):
            os.makedirs(os.path.dirname(self.url[len('sqlite:///'):]) or '.', exist_ok=True)
        try:
            engine = engines.create_engine(self.url, sqlite_fk=True,
                                           **engine_options(self.conf))
        except (db_exception.DBError, sa.exc.SQLAlchemyError) as error:
            raise exception.DatabaseUnavailable(self.safe_url, reason(error)) from error
        if engine.dialect.name == 'sqlite':
            sa.event.listen(engine, 'connect', _sqlite_pragmas)
        _name_missing_tables_first(engine)
        self._engine = engine
        self._sessions = orm.sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def session(self) -> orm.Session:
        self.engine  # noqa: B018 - opens on first use
        return self._sessions()

    # The service registry.

    @reachable
    def service_create(self, host: str, binary: str, topic: str,
                       disabled: bool = False) -> models.Service:
        service = models.Service(uuid=uuidutils.generate_uuid(), host=host, binary=binary,
                                 topic=topic, disabled=disabled, report_count=0,
                                 forced_down=False, version=0, deleted=0)
        try:
            with self.session() as session, session.begin():
                session.add(service)
        except db_exception.DBDuplicateEntry:
            raise exception.ServiceExists(host, binary) from None
        return service

    @reachable
    def service_get(self, service_id: int) -> models.Service:
        _check_id(service_id)
        with self.session() as session:
            service = session.scalar(self._live().where(models.Service.id == service_id))
        if service is None:
            raise exception.ServiceNotFound(service_id)
        return service

    @reachable
    def service_get_by_host_and_binary(self, host: str,
                                       binary: str) -> models.Service | None:
        with self.session() as session:
            return session.scalar(self._live().where(models.Service.host == host,
                                                     models.Service.binary == binary))

    @reachable
    def service_get_all(self, host: str | None = None, binary: str | None = None,
                        limit: int | None = None, marker: int | None = None
                        ) -> list[sa.Row]:
        """Rows with the columns as attributes: no ORM objects, as a list of
        10,000 services spent three quarters of its time building them.

        In id order: at most ``limit`` rows, those after id ``marker``.
        ServiceNotFound when no record ever had id ``marker``; one deleted
        since it was listed still marks the place, so paging survives it.
        """
        table = models.Service.__table__
        query = sa.select(table).where(table.c.deleted == 0).order_by(table.c.id)
        if host is not None:
            query = query.where(table.c.host == host)
        if binary is not None:
            query = query.where(table.c.binary == binary)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            if marker is not None:
                _check_id(marker)
                if connection.scalar(sa.select(table.c.id).where(table.c.id == marker)) is None:
                    raise exception.ServiceNotFound(marker)
                query = query.where(table.c.id > marker)
            return list(connection.execute(query))

    @reachable
    def service_update(self, service_id: int, values: dict[str, Any]) -> models.Service:
        _check_id(service_id)
        with self.session() as session, session.begin():
            updated = session.execute(
                sa.update(models.Service)
                .where(models.Service.id == service_id, models.Service.deleted == 0)
                .values(updated_at=models.utcnow(), **values))
            if updated.rowcount == 0:
                raise exception.ServiceNotFound(service_id)
        return self.service_get(service_id)

    @reachable
    def service_destroy(self, service_id: int) -> None:
        _check_id(service_id)
        with self.session() as session, session.begin():
            deleted = session.execute(
                sa.update(models.Service)
                .where(models.Service.id == service_id, models.Service.deleted == 0)
                .values(deleted=service_id, updated_at=models.utcnow()))
            if deleted.rowcount == 0:
                raise exception.ServiceNotFound(service_id)

    @reachable
    def service_report(self, service_id: int) -> None:
        """A heartbeat: one UPDATE, atomic on every backend.

        Core SQL rather than an ORM session: a conductor runs thousands.
        """
        table = models.Service.__table__
        with self.engine.begin() as connection:
            reported = connection.execute(
                sa.update(table)
                .where(table.c.id == service_id, table.c.deleted == 0)
                .values(report_count=table.c.report_count + 1,
                        last_seen_up=models.utcnow()))
        if reported.rowcount == 0:
            raise exception.ServiceNotFound(service_id)

    @staticmethod
    def _live() -> sa.Select:
        return sa.select(models.Service).where(models.Service.deleted == 0)


def _check_id(service_id: int) -> None:
    """ServiceNotFound for an id no record can have.

    The id column is a 32-bit INTEGER on PostgreSQL and MariaDB, and
    SQLite's driver refuses a larger number outright (a DBError, not an
    answer), so such an id from a URL or a command line never reaches SQL.
    """
    if not 0 < service_id <= MAX_ID:
        raise exception.ServiceNotFound(service_id)


def reason(error: Exception) -> str:
    """The driver's own words, without SQLAlchemy's links and SQL echo."""
    original = getattr(error, 'orig', None) or getattr(error, 'inner_exception', None)
    text = str(original or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def unavailable(database: Database, error: Exception) -> exception.DatabaseUnavailable:
    return exception.DatabaseUnavailable(database.safe_url, reason(error))


def schema_mismatch(database: Database, table: str) -> exception.DatabaseUnavailable:
    """The SchemaMismatch for a missing ``table``, naming the revision the
    database is at; DatabaseUnavailable if that cannot be read either."""
    try:
        with database.engine.connect() as connection:
            found = schema.current(connection)
    except (db_exception.DBError, sa.exc.SQLAlchemyError) as error:
        return unavailable(database, error)
    return schema.table_missing(database.safe_url, found, table)


def _name_missing_tables_first(engine: sa.Engine) -> None:
    """Have _name_missing_table see errors before oslo.db's handler does.

    oslo.db logs a traceback for each error it has no name for, PostgreSQL's
    and MySQL's missing table among them. SQLAlchemy calls these handlers in
    the order they were added (it ignores insert=True for this event), so
    oslo.db's is taken out and added again after ours.
    """
    oslo_handler = exc_filters.handler
    registered = sa.event.contains(engine, 'handle_error', oslo_handler)
    if registered:
        sa.event.remove(engine, 'handle_error', oslo_handler)
    sa.event.listen(engine, 'handle_error', _name_missing_table)
    if registered:
        sa.event.listen(engine, 'handle_error', oslo_handler, retval=True)


def _name_missing_table(context: sa.engine.ExceptionContext) -> None:
    """Raise DBNonExistentTable for a missing table, on every backend.

    Raising (rather than returning) keeps oslo.db's handler from running.
    Only for svcframe's statements, which SQLAlchemy compiled: a dialect's
    own textual probes (MySQL's has_table runs DESCRIBE) expect the driver's
    error and read "no such table" from it.
    """
    execution = context.execution_context
    if execution is None or execution.compiled is None:
        return
    table = schema.missing_table(context.original_exception)
    if table is not None:
        raise db_exception.DBNonExistentTable(table, context.sqlalchemy_exception)


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=%d' % SQLITE_BUSY_TIMEOUT_MS)
    # With WAL, NORMAL syncs at checkpoints rather than on every commit: a
    # crash of the process loses nothing, a power cut at most the last
    # commits, and the file is never corrupted (sqlite.org/wal.html).
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.close()
