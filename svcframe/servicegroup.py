"""The service group: each service registers itself and reports a heartbeat.

The conductor (and the API) reach the database directly; compute and
scheduler go through the conductor over RPC, so they hold no database
credentials. A service is up when it is not forced down and was seen within
``service_down_time``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, Protocol

import eventlet
import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log as logging

from svcframe import context as svcframe_context
from svcframe import exception
from svcframe.db import models
from svcframe.db.api import Database
from svcframe.rpcapi import conductor as conductor_rpcapi
from svcframe.rpcapi.conductor import ConductorAPI

LOG = logging.getLogger(__name__)

# The topic of the service that owns the registry and serves it to the others.
REGISTRY_TOPIC = 'conductor'


def up_cutoff(conf: cfg.ConfigOpts,
              now: datetime.datetime | None = None) -> datetime.datetime:
    """A service last seen before this time is down."""
    return (now or models.utcnow()) - datetime.timedelta(seconds=conf.service_down_time)


def is_up(service: Any, conf: cfg.ConfigOpts, now: datetime.datetime | None = None,
          cutoff: datetime.datetime | None = None) -> bool:
    """``cutoff`` (from up_cutoff()) saves reading the option per service."""
    if service.forced_down or service.last_seen_up is None:
        return False
    return service.last_seen_up >= (cutoff or up_cutoff(conf, now))


def state(service: Any, conf: cfg.ConfigOpts, now: datetime.datetime | None = None,
          cutoff: datetime.datetime | None = None) -> str:
    return 'up' if is_up(service, conf, now, cutoff) else 'down'


class Registry(Protocol):
    def register(self, host: str, binary: str, topic: str) -> int: ...

    def report(self, service_id: int) -> None: ...


class DatabaseRegistry:
    """The registry in the database: for the conductor and the API."""

    def __init__(self, database: Database, conf: cfg.ConfigOpts) -> None:
        self.database = database
        self.conf = conf

    def register(self, host: str, binary: str, topic: str) -> int:
        """The id of the record of (host, binary), created when missing."""
        existing = self.database.service_get_by_host_and_binary(host, binary)
        if existing is not None:
            return existing.id
        try:
            created = self.database.service_create(
                host, binary, topic, disabled=not self.conf.enable_new_services)
            return created.id
        except exception.ServiceExists:  # another process won the race
            return self.database.service_get_by_host_and_binary(host, binary).id

    def report(self, service_id: int) -> None:
        self.database.service_report(service_id)


class RegistryEndpoint:
    """What the conductor serves over RPC, for services without a database."""

    target = messaging.Target(namespace=conductor_rpcapi.REGISTRY_NAMESPACE, version='1.0')

    def __init__(self, registry: DatabaseRegistry) -> None:
        self.registry = registry

    def service_register(self, context: Any, host: str, binary: str, topic: str) -> int:
        return self.registry.register(host, binary, topic)

    def service_report(self, context: Any, service_id: int) -> bool:
        """False when the record is gone (an operator deleted it)."""
        try:
            self.registry.report(service_id)
        except exception.ServiceNotFound:
            return False
        return True


class ConductorRegistry:
    """The registry through the conductor: for compute and scheduler."""

    def __init__(self, conductor: ConductorAPI) -> None:
        self.conductor = conductor

    def register(self, host: str, binary: str, topic: str) -> int:
        return self.conductor.service_register(svcframe_context.get_admin_context(),
                                               host, binary, topic)

    def report(self, service_id: int) -> None:
        if not self.conductor.service_report(svcframe_context.get_admin_context(),
                                             service_id):
            raise exception.ServiceNotFound(service_id)


class Heartbeat:
    """Registers a service, then reports every ``interval()`` seconds.

    A failed report is logged once, and its recovery once; the loop never
    dies. ``stop()`` does not wait for a report in flight.
    """

    def __init__(self, registry: Registry, host: str, binary: str, topic: str,
                 interval: Callable[[], float]) -> None:
        self.registry = registry
        self.host = host
        self.binary = binary
        self.topic = topic
        self.interval = interval
        self.service_id: int | None = None
        self._failing = False
        self._thread: eventlet.greenthread.GreenThread | None = None

    def start(self) -> None:
        self._thread = eventlet.spawn(self._run)

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.kill()
            self._thread = None

    def _run(self) -> None:
        while True:
            self.beat()
            eventlet.sleep(self.interval())

    def beat(self) -> None:
        try:
            if self.service_id is None:
                self.service_id = self.registry.register(self.host, self.binary, self.topic)
            self.registry.report(self.service_id)
        except exception.ServiceNotFound:
            LOG.warning('The record of %s on %s was deleted; registering again',
                        self.binary, self.host)
            self.service_id = None
        except Exception as error:  # noqa: BLE001 - the heartbeat must not die
            if not self._failing:
                LOG.warning('%s on %s cannot report to the service registry, and '
                            'will keep trying: %s', self.binary, self.host, error)
                self._failing = True
            return
        if self._failing:
            LOG.info('%s on %s reports to the service registry again',
                     self.binary, self.host)
            self._failing = False

