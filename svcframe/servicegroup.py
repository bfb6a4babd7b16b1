"""The service group: each service registers itself and reports a heartbeat.

The conductor (and the API) reach the database directly; compute and
scheduler go through the conductor over RPC, so they hold no database
credentials. A service is up when it is not forced down and was seen within
``service_down_time``.
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import timeutils

from svcframe import context as svcframe_context
from svcframe import exception
from svcframe import metrics
from svcframe import threads
from svcframe.rpcapi import conductor as conductor_rpcapi
from svcframe.rpcapi.conductor import ConductorAPI

if TYPE_CHECKING:  # compute and scheduler never load the database layer
    from svcframe.db.api import Database

LOG = logging.getLogger(__name__)

# The topic of the service that owns the registry and serves it to the others.
REGISTRY_TOPIC = 'conductor'
# Seconds before the first retry of a failed heartbeat; doubled each time.
FIRST_RETRY_DELAY = 1.0
# A service that starts before the registry answers (services started in any
# order) says so at INFO; only a wait longer than this is worth a WARNING.
STARTUP_PATIENCE = 60.0
# Seconds the first registration call waits for the conductor; doubled after
# each timeout, up to the report interval. A conductor not started yet has no
# queue, so a call to it is dropped and waits out its whole timeout: short
# ones find a conductor sooner once it comes up.
FIRST_REGISTER_TIMEOUT = 2.0


def up_cutoff(conf: cfg.ConfigOpts,
              now: datetime.datetime | None = None) -> datetime.datetime:
    """A service last seen before this time is down."""
    # Naive UTC, as the database stores last_seen_up.
    return (now or timeutils.utcnow()) - datetime.timedelta(seconds=conf.service_down_time)


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
    """What the conductor serves over RPC, for services without a database.

    An unreachable database is expected (the conductor's own heartbeat logs
    it once): the caller gets the error, and the conductor's log no
    traceback per call.
    """

    target = messaging.Target(namespace=conductor_rpcapi.REGISTRY_NAMESPACE, version='1.0')

    def __init__(self, registry: DatabaseRegistry) -> None:
        self.registry = registry

    @messaging.expected_exceptions(exception.DatabaseUnavailable)
    def service_register(self, context: Any, host: str, binary: str, topic: str) -> int:
        return self.registry.register(host, binary, topic)

    @messaging.expected_exceptions(exception.DatabaseUnavailable)
    def service_report(self, context: Any, service_id: int) -> bool:
        """False when the record is gone (an operator deleted it)."""
        try:
            self.registry.report(service_id)
        except exception.ServiceNotFound:
            return False
        return True


class ConductorRegistry:
    """The registry through the conductor: for compute and scheduler.

    ``timeout`` bounds each call; registering starts with shorter ones.
    """

    def __init__(self, conductor: ConductorAPI, timeout: float) -> None:
        self.conductor = conductor
        self.timeout = timeout
        self._register_timeouts = 0

    def register(self, host: str, binary: str, topic: str) -> int:
        timeout = min(self.timeout, FIRST_REGISTER_TIMEOUT * 2 ** min(self._register_timeouts, 16))
        try:
            service_id = self.conductor.service_register(
                svcframe_context.get_admin_context(), host, binary, topic, timeout=timeout)
        except messaging.MessagingTimeout:
            self._register_timeouts += 1
            raise
        self._register_timeouts = 0
        return service_id

    def report(self, service_id: int) -> None:
        if not self.conductor.service_report(svcframe_context.get_admin_context(),
                                             service_id):
            raise exception.ServiceNotFound(service_id)


@dataclasses.dataclass(frozen=True)
class Membership:
    """How one service takes part in the registry: where it reports, what
    it serves of the registry to the others, and what to close at its stop."""

    registry: Registry
    endpoints: tuple[object, ...] = ()
    close: Callable[[], None] = lambda: None


# Builds a service's Membership once its transport exists:
# (transport, conf, RPC timeout) -> Membership.
MembershipFactory = Callable[[messaging.Transport, cfg.ConfigOpts, float], Membership]


def in_database(transport: messaging.Transport, conf: cfg.ConfigOpts,
                timeout: float) -> Membership:
    """The registry's owner: writes to the database, and serves it over RPC."""
    # Here only: compute and scheduler never import SQLAlchemy (a sixth of
    # their start) nor hold database credentials.
    from svcframe.db.api import Database
    database = Database(conf)
    registry = DatabaseRegistry(database, conf)
    return Membership(registry, (RegistryEndpoint(registry),), database.close)


def through_conductor(transport: messaging.Transport, conf: cfg.ConfigOpts,
                      timeout: float) -> Membership:
    """Any other service: reports through the conductor over RPC."""
    return Membership(ConductorRegistry(ConductorAPI(transport, conf, timeout=timeout),
                                        timeout=timeout))


def given(registry: Registry) -> MembershipFactory:
    """A registry handed in (tests, svcframe.testing): nothing served."""
    return lambda transport, conf, timeout: Membership(registry)


def membership_for(topic: str) -> MembershipFactory:
    """Where a service of ``topic`` keeps its record: the conductor owns the
    registry, whichever manager it runs; the others go through it."""
    return in_database if topic == REGISTRY_TOPIC else through_conductor


class Heartbeat:
    """Registers a service, then reports every ``interval()`` seconds.

    ``before_up()`` runs after registering and before the first report,
    from which the service counts as up: what others must be able to rely on
    once it is up (a compute's capacity) is done there. A failure of any
    step is retried after 1, 2, 4, ... seconds, backing off to
    ``interval()``: a service whose database or conductor restarted, or was
    not up yet when it started, is seen within seconds of its return, and a
    long outage costs one call an interval, as a healthy heartbeat does.
    Waiting at start-up is logged at INFO, and at WARNING once it lasts
    STARTUP_PATIENCE; a failure after that, once with its reason; each
    recovery once. The loop never dies. ``stop()`` does not wait for a
    report in flight.
    """

    def __init__(self, registry: Registry, host: str, binary: str, topic: str,
                 interval: Callable[[], float],
                 before_up: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = registry
        self.host = host
        self.binary = binary
        self.topic = topic
        self.interval = interval
        self.before_up = before_up
        self.clock = clock
        self.service_id: int | None = None
        self.failures = 0
        self._ready = False  # before_up() done for this registration
        self._reported_once = False
        self._waiting_since: float | None = None
        self._waiting_for: type | None = None  # the kind of error waited out
        self._warned_of_wait = False
        self._stopped = threads.Event()

    def start(self) -> None:
        self._stopped.clear()
        threads.spawn(self._run)

    def stop(self) -> None:
        """No beat starts after this; one under way finishes in its thread."""
        self._stopped.set()

    def _run(self) -> None:
        delay = self.beat()
        while not self._stopped.wait(delay):
            delay = self.beat()

    def beat(self) -> float:
        """Register and get ready if need be, report once; the seconds until
        the next beat."""
        try:
            if self.service_id is None:
                self.service_id = self.registry.register(self.host, self.binary, self.topic)
                self._ready = False
            if not self._ready:
                self.before_up()
                self._ready = True
            self.registry.report(self.service_id)
        except exception.ServiceNotFound:
            LOG.warning('The record of %s on %s was deleted; registering again',
                        self.binary, self.host)
            self.service_id = None
            return FIRST_RETRY_DELAY
        except Exception as error:  # noqa: BLE001 - the heartbeat must not die
            if self._stopped.is_set():
                return 0.0  # the service closed the registry under this beat
            metrics.current.heartbeat(False, time.time())
            return self._failed(error)
        metrics.current.heartbeat(True, time.time())
        self._succeeded()
        return self.interval()

    def retry_delay(self) -> float:
        """After the n-th failure in a row: 2**(n-1) seconds, at most interval()."""
        return min(float(self.interval()), FIRST_RETRY_DELAY * 2 ** min(self.failures - 1, 16))

    def _failed(self, error: Exception) -> float:
        self.failures += 1
        delay = self.retry_delay()
        if not self._reported_once:
            self._log_start_up_wait(error, delay)
            return delay
        log = LOG.warning if self.failures == 1 else LOG.debug
        step = 'register with' if self.service_id is None else 'report to'
        log('%s on %s cannot %s the service registry, and will keep trying '
            '(next in %g s): %s', self.binary, self.host, step, delay, _reason(error))
        return delay

    def _log_start_up_wait(self, error: Exception, delay: float) -> None:
        now = self.clock()
        if self._waiting_since is None or type(error) is not self._waiting_for:
            # Said again when the reason changes: a database that comes up
            # unmigrated must say so (svcframe-manage db sync) at INFO too.
            self._waiting_since = self._waiting_since or now
            self._waiting_for = type(error)
            LOG.info('%s on %s waits for the service registry; next try in %g s: %s',
                     self.binary, self.host, delay, _reason(error))
        elif not self._warned_of_wait and now - self._waiting_since >= STARTUP_PATIENCE:
            self._warned_of_wait = True
            LOG.warning('%s on %s has waited %d s for the service registry, and '
                        'keeps trying: %s', self.binary, self.host,
                        now - self._waiting_since, _reason(error))
        else:
            LOG.debug('%s on %s still waits for the service registry: %s',
                      self.binary, self.host, _reason(error))

    def _succeeded(self) -> None:
        if not self._reported_once:
            self._reported_once = True
            if self._waiting_since is not None:
                LOG.info('%s on %s is registered and up, after waiting %d s for '
                         'the service registry', self.binary, self.host,
                         self.clock() - self._waiting_since)
        elif self.failures:
            LOG.info('%s on %s reports to the service registry again',
                     self.binary, self.host)
        self.failures = 0


def _reason(error: Exception) -> str:
    """The first line: an error from the conductor carries its traceback after it."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
