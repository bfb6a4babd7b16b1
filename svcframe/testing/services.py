"""ServiceFixture: services started in this process, and stopped again.

The services share one RPC transport (``fake://`` by default, in memory),
so they reach each other, and a test reaches them, as separate binaries
would over a broker. With a conductor among them, the database under
``state_path`` is migrated first and the others register with the
conductor over RPC, as in a deployment; without one, every service reports
to a MemoryRegistry, so a plugin's manager runs alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType

import oslo_messaging as messaging
from oslo_config import cfg

from svcframe import manager as svcframe_manager
from svcframe import rpc
from svcframe import servicegroup
from svcframe.composite import CompositeService
from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.service import Service, topic_from_binary
from svcframe.testing.client import RPCTopicClient
from svcframe.testing.hub import HubThread
from svcframe.testing.registry import MemoryRegistry

ManagerChoice = str | type[svcframe_manager.Manager]


class ServiceFixture:
    """Runs ``binaries`` in this process, in the order given; stops them in reverse.

    ``managers`` maps a binary to an entry-point name or a Manager class;
    a binary not in it runs the manager that ``[DEFAULT] <topic>_manager``
    names, as the console script would. Use it as a context manager, or
    call ``start()`` and, always, ``stop()``.
    """

    def __init__(self, conf: cfg.ConfigOpts, binaries: Sequence[str],
                 managers: Mapping[str, ManagerChoice] | None = None) -> None:
        self.conf = conf
        self.binaries = tuple(binaries)
        self.managers = dict(managers or {})
        self.services: dict[str, Service] = {}
        self.transport: messaging.Transport | None = None
        self.database: Database | None = None
        self.registry: MemoryRegistry | None = None
        self._hub: HubThread | None = None
        self._composite: CompositeService | None = None

    def start(self) -> None:
        """Build and start every service; on failure stop what started, and raise."""
        if self._hub is not None:
            raise RuntimeError('the services are running already')
        if len(set(self.binaries)) != len(self.binaries):
            raise ValueError('each binary runs once here, not: %s' % ', '.join(self.binaries))
        unknown = set(self.managers) - set(self.binaries)
        if unknown:
            raise ValueError('managers given for binaries that are not started: %s'
                             % ', '.join(sorted(unknown)))
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self.transport = rpc.create_transport(self.conf, warn_in_memory=False)
        topics = [topic_from_binary(binary) for binary in self.binaries]
        if servicegroup.REGISTRY_TOPIC in topics:
            self.database = Database(self.conf)
            migration.sync(self.database)
        else:
            self.registry = MemoryRegistry()
        for binary in self.binaries:
            self.services[binary] = Service.create(
                binary=binary, conf=self.conf, manager=self.managers.get(binary),
                transport=self.transport, registry=self.registry)
        self._composite = CompositeService('svcframe-testing', list(self.services.values()))
        self._hub = HubThread()
        self._hub.start()
        self._hub.call(self._composite.start)

    def stop(self) -> None:
        """Stop the services (last started first), then the transport and database.

        Safe to call twice, and after a start() that failed part-way.
        """
        composite, self._composite = self._composite, None
        hub, self._hub = self._hub, None
        try:
            if composite is not None and hub is not None:
                hub.call(lambda: _stop_and_wait(composite))
        finally:
            if hub is not None:
                hub.stop()
            if self.transport is not None:
                self.transport.cleanup()
                self.transport = None
            if self.database is not None:
                self.database.close()

    def manager(self, binary: str) -> svcframe_manager.Manager:
        """The manager object the service ``binary`` runs."""
        return self.services[binary].manager

    def client(self, topic: str, timeout: float | None = 30.0) -> RPCTopicClient:
        """A client of ``topic`` on the services' transport."""
        if self.transport is None:
            raise RuntimeError('the services are not running')
        return RPCTopicClient(self.transport, self.conf, topic, timeout=timeout)

    def __enter__(self) -> ServiceFixture:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None,
                 exc: BaseException | None, traceback: TracebackType | None) -> None:
        self.stop()


def _stop_and_wait(composite: CompositeService) -> None:
    composite.stop()
    composite.wait()


def start_services(conf: cfg.ConfigOpts, binaries: Sequence[str],
                   managers: Mapping[str, ManagerChoice] | None = None) -> ServiceFixture:
    """A started ServiceFixture; the caller must ``stop()`` it."""
    fixture = ServiceFixture(conf, binaries, managers)
    fixture.start()
    return fixture
