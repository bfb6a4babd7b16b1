"""svcframe-all: conductor, scheduler, compute and the API in one process.

The embedded default: the four services share one RPC transport (by default
``fake://``, in memory, which only works when they share it) and the
database is the SQLite file under ``state_path`` unless ``[database]
connection`` names another. The schema is migrated on start, so a fresh
checkout runs with no ``svcframe-manage db sync``. With a real
``transport_url`` the four run on that broker just the same.

Start order: the conductor first, as it owns the service registry the others
register with over RPC; then scheduler and compute; the API last, so it
answers only once the back end runs. Stop order is the reverse: the API
drains first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import oslo_messaging as messaging
import sqlalchemy
from oslo_config import cfg
from oslo_db import exception as db_exception
from oslo_log import log as logging

from svcframe import exception
from svcframe import rpc
from svcframe.composite import CompositeService
from svcframe.db import api as db_api
from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.service import Service, WSGIService
from svcframe.wsgi import loader as wsgi_loader

LOG = logging.getLogger(__name__)

BINARY = 'svcframe-all'
API_GROUP = 'api'
# In start order; see the module docstring.
MANAGER_BINARIES = ('svcframe-conductor', 'svcframe-scheduler', 'svcframe-compute')

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class AllInOneService:
    """The four services as one service object for the launcher.

    It owns what they share: the transport, cleaned up once they have all
    stopped, and the database it migrates before any of them starts.
    """

    binary = BINARY

    def __init__(self, conf: cfg.ConfigOpts, transport: messaging.Transport,
                 database: Database, services: CompositeService,
                 api: WSGIService) -> None:
        self.conf = conf
        self.transport = transport
        self.database = database
        self.services = services
        self.api = api
        self._started = False
        self._stopping = False

    @classmethod
    def create(cls, conf: cfg.ConfigOpts) -> AllInOneService:
        """Build the four services from ``conf``; nothing is bound or started.

        Raises ConfigError as the separate binaries do: an unknown manager,
        a missing paste file, noauth on a public address.
        """
        transport = rpc.create_transport(conf, warn_in_memory=False)
        managed = [Service.create(binary=binary, conf=conf, transport=transport)
                   for binary in MANAGER_BINARIES]
        database = Database(conf)
        _migrate_if_reachable(database)
        app = wsgi_loader.load_app(conf, API_GROUP,
                                   wsgi_loader.AppResources(transport=transport))
        api = WSGIService.create(API_GROUP, conf, app=app)
        return cls(conf, transport, database,
                   CompositeService(BINARY, [*managed, api]), api)

    def listen(self) -> tuple[str, int]:
        """Bind the API's socket; raises ServiceStartError when it cannot."""
        return self.api.listen()

    def start(self) -> None:
        self._migrate()
        self.services.start()
        if self._stopping:
            return
        self._started = True
        LOG.info('%s serving the API on %s (database %s, transport %s)',
                 BINARY, self.api.server.url, self.database.safe_url,
                 _transport_scheme(self.conf))

    def _migrate(self) -> None:
        """Bring the schema to this release's head before any service uses it."""
        try:
            migration.sync(self.database)
            revision = migration.version(self.database)
        except (db_exception.DBConnectionError, sqlalchemy.exc.OperationalError) as error:
            raise db_api.unavailable(self.database, error) from error
        LOG.info('%s: database %s is at schema revision %s', BINARY,
                 self.database.safe_url, revision)

    def stop(self, graceful: bool = True) -> None:
        """Stop the services (API first), then release what they shared.

        A start that has not finished may be blocked on the transport (a
        broker that is down): its cleanup would wait for it, so the process
        exit releases it instead, as Service does for a transport of its own.
        """
        self._stopping = True
        try:
            self.services.stop()
        finally:
            if self._started:
                self.transport.cleanup()
            self.database.close()

    def wait(self) -> None:
        self.services.wait()

    def reset(self) -> None:
        self.services.reset()


def _migrate_if_reachable(database: Database) -> None:
    """Migrate now if the database answers at once.

    The API's router refuses a schema that is not this release's as its app
    loads, which is before start(). A database that does not answer yet is
    left to start(), which migrates with oslo.db's connection retries.
    """
    try:
        if migration.answers(database):
            migration.sync(database)
    except exception.SchemaMismatch:
        raise  # newer than this release: exit 1 with it
    except (exception.DatabaseUnavailable, db_exception.DBConnectionError,
            sqlalchemy.exc.OperationalError):
        pass  # start() tries again, and reports it


def _transport_scheme(conf: cfg.ConfigOpts) -> str:
    """The transport's kind, never its credentials."""
    if rpc.is_in_memory(conf):
        return 'fake:// (in memory)'
    return messaging.TransportURL.parse(conf, conf.transport_url).transport + '://'
