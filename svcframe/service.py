"""Service and WSGIService: what the launcher runs.

Service composes a manager with the machinery that runs it.

``Service.create(binary=...)`` derives the topic from the binary name, loads
the manager that ``[DEFAULT] <topic>_manager`` names and fills every other
setting from configuration. ``start()`` and ``stop()`` are the only places
where work begins and ends; the stop order is written once, in ``stop()``.
"""

from __future__ import annotations

import ipaddress
import os
import random
import sys
import threading
from collections.abc import Callable
from concurrent import futures
from typing import TYPE_CHECKING

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log as logging
from oslo_service import service as oslo_service

from svcframe import baserpc
from svcframe import context as svcframe_context
from svcframe import exception
from svcframe import manager as svcframe_manager
from svcframe import rpc
from svcframe import servicegroup
from svcframe import threads

if TYPE_CHECKING:
    from svcframe.wsgi import server as wsgi_server

LOG = logging.getLogger(__name__)

BINARY_PREFIX = 'svcframe-'


def topic_from_binary(binary: str) -> str:
    """``svcframe-compute`` -> ``compute``; other names are used as they are."""
    if binary.startswith(BINARY_PREFIX):
        return binary[len(BINARY_PREFIX):]
    return binary


class Service(oslo_service.ServiceBase):
    """Runs one manager: its start-up, periodic tasks, reload and shutdown.

    Settings given as None follow configuration, and those that are mutable
    follow it across a SIGHUP.
    """

    def __init__(self, host: str, binary: str, topic: str,
                 manager: svcframe_manager.Manager, conf: cfg.ConfigOpts,
                 report_interval: int | None = None,
                 periodic_enable: bool | None = None,
                 periodic_fuzzy_delay: int | None = None,
                 periodic_interval_max: int | None = None,
                 transport: messaging.Transport | None = None,
                 membership: servicegroup.MembershipFactory | None = None) -> None:
        self.host = host
        self.binary = binary
        self.topic = topic
        self.manager = manager
        self.conf = conf
        self._report_interval = report_interval
        self._periodic_enable = periodic_enable
        self._periodic_fuzzy_delay = periodic_fuzzy_delay
        self._periodic_interval_max = periodic_interval_max
        # Periodic tasks run in a thread of svcframe.threads, not in
        # oslo.service's DynamicLoopingCall: on the threading backend that
        # one leaves an idle futurist worker behind, which futurist's atexit
        # hook waits up to a second for (its MAX_IDLE_FOR).
        self._periodic_stop = threads.Event()
        self._periodic_loop: futures.Future | None = None
        # A transport handed in is shared (services in one process on the
        # in-memory transport must share it) and its owner cleans it up.
        self._shared_transport = transport
        self._transport: messaging.Transport | None = None
        self._rpc_server: messaging.RPCServer | None = None
        # Where the heartbeat goes, built in start() (see Service.create()).
        self._membership_factory = membership or servicegroup.membership_for(topic)
        self._membership: servicegroup.Membership | None = None
        self._heartbeat: servicegroup.Heartbeat | None = None
        self._started = False
        self._stopping = False
        self._stopped = threading.Event()

    @classmethod
    def create(cls, host: str | None = None, binary: str | None = None,
               topic: str | None = None,
               manager: str | type[svcframe_manager.Manager] | None = None,
               report_interval: int | None = None,
               periodic_enable: bool | None = None,
               periodic_fuzzy_delay: int | None = None,
               periodic_interval_max: int | None = None,
               conf: cfg.ConfigOpts | None = None,
               transport: messaging.Transport | None = None,
               registry: servicegroup.Registry | None = None) -> Service:
        """Build a Service, filling every setting left as None from ``conf``.

        ``manager`` is an entry-point name in ``svcframe.managers`` or a
        Manager class; by default ``[DEFAULT] <topic>_manager`` names it.
        ``conf`` defaults to the global ``cfg.CONF`` that the console scripts
        parse, so ``Service.create(binary='svcframe-compute')`` works as in nova.
        ``transport`` is an RPC transport to share; by default the service
        creates its own from ``[DEFAULT] transport_url`` when it starts.
        ``registry`` replaces the service registry it reports heartbeats to;
        by default servicegroup.membership_for(topic) chooses it.
        """
        conf = cfg.CONF if conf is None else conf
        binary = binary or os.path.basename(sys.argv[0])
        topic = topic or topic_from_binary(binary)
        host = host or conf.host
        manager_class = cls._manager_class(manager, topic, conf)
        manager_instance = manager_class(host=host, service_name=topic,
                                         conf=conf)
        return cls(host, binary, topic, manager_instance, conf,
                   report_interval=report_interval,
                   periodic_enable=periodic_enable,
                   periodic_fuzzy_delay=periodic_fuzzy_delay,
                   periodic_interval_max=periodic_interval_max, transport=transport,
                   membership=servicegroup.given(registry) if registry else None)

    @staticmethod
    def _manager_class(manager: str | type[svcframe_manager.Manager] | None,
                       topic: str, conf: cfg.ConfigOpts
                       ) -> type[svcframe_manager.Manager]:
        if isinstance(manager, type):
            return manager
        return svcframe_manager.load_manager(topic, conf, name=manager)

    # Settings: an explicit value wins, otherwise configuration is read each
    # time, which is how mutable options take effect after a SIGHUP.
    @property
    def report_interval(self) -> int:
        return self._report_interval or self.conf.report_interval

    @property
    def periodic_enable(self) -> bool:
        if self._periodic_enable is None:
            return self.conf.periodic_enable
        return self._periodic_enable

    @property
    def periodic_fuzzy_delay(self) -> int:
        if self._periodic_fuzzy_delay is None:
            return self.conf.periodic_fuzzy_delay
        return self._periodic_fuzzy_delay

    @property
    def periodic_interval_max(self) -> int:
        return self._periodic_interval_max or self.conf.periodic_interval_max

    def start(self) -> None:
        LOG.info('Starting %s (topic %s) on host %s with manager %s',
                 self.binary, self.topic, self.host,
                 type(self.manager).__name__)
        self._transport = self._shared_transport or rpc.create_transport(self.conf)
        self.manager.transport = self._transport
        self.manager.init_host()
        # cleanup_host() undoes a completed init_host() only; an init_host()
        # that raises cleans up after itself.
        self._started = True
        self._membership = self._membership_factory(self._transport, self.conf,
                                                    self.report_interval)
        self._start_rpc_server()
        self._heartbeat = servicegroup.Heartbeat(
            self._membership.registry, self.host, self.binary, self.topic,
            lambda: self.report_interval,
            before_up=lambda: self.manager.before_up(svcframe_context.get_admin_context()))
        self._heartbeat.start()
        if self.periodic_enable:
            self._start_periodic_tasks()

    def _start_rpc_server(self) -> None:
        """Consume topic ``<topic>``, ``<topic>.<host>`` and its fanout."""
        target = messaging.Target(topic=self.topic, server=self.host)
        endpoints = [self.manager, baserpc.BaseRPCEndpoint(self.binary, self.host),
                     *self.manager.additional_endpoints, *self._membership.endpoints]
        server = rpc.get_server(self._transport, target, endpoints,
                                svcframe_manager.RPCAccessPolicy)
        # Blocks while the broker is unreachable (oslo.messaging retries);
        # stop() leaves a server that never started alone.
        server.start()
        self._rpc_server = server

    def _start_periodic_tasks(self) -> None:
        delay = (random.uniform(0, self.periodic_fuzzy_delay)
                 if self.periodic_fuzzy_delay else 0.0)
        self._periodic_loop = threads.spawn(self._periodic_tasks_until_stopped, delay)

    def _periodic_tasks_until_stopped(self, delay: float) -> None:
        """Run the periodic tasks, idling between runs, until stop() sets the event."""
        idle = delay
        while not self._periodic_stop.wait(idle):
            try:
                idle = self._run_periodic_tasks()
            except Exception:
                # As oslo.service's stop_on_exception=False: log, go on.
                LOG.exception('Periodic tasks of %s failed', self.binary)
                idle = self.periodic_interval_max

    def _run_periodic_tasks(self) -> float:
        context = svcframe_context.get_admin_context()
        idle = self.manager.periodic_tasks(context)
        return min(idle, self.periodic_interval_max)

    def reset(self) -> None:
        """Apply a configuration reload: settings re-read, manager told."""
        LOG.info('Resetting %s after a configuration reload', self.binary)
        self.manager.reset()

    def stop(self, graceful: bool = True) -> None:
        """Stop all work, in order; safe to call twice or before start().

        Order: stop consuming RPC and let the calls in flight finish, stop the
        periodic tasks and let a running one finish, stop the heartbeat, let
        the manager clean up, close the registry's database and the
        transport. The launcher bounds the whole by
        ``graceful_shutdown_timeout``.
        """
        if self._stopping:
            return
        self._stopping = True
        try:
            if self._rpc_server is not None:
                self._rpc_server.stop()
                self._rpc_server.wait()
            if self._periodic_loop is not None:
                self._periodic_stop.set()
                self._periodic_loop.result()  # a run in progress finishes first
            if self._heartbeat is not None:
                self._heartbeat.stop()
            if self._started:
                self.manager.cleanup_host()
                LOG.info('Stopped %s', self.binary)
            if self._membership is not None:
                self._membership.close()
            # A transport still connecting (the broker is down) is left to
            # die with the process: cleaning it up would wait for it.
            if (self._transport is not None and self._shared_transport is None
                    and self._rpc_server is not None):
                self._transport.cleanup()
        finally:
            self._stopped.set()

    def wait(self) -> None:
        """Block until stop() has finished."""
        self._stopped.wait()


class WSGIService(oslo_service.ServiceBase):
    """The API service: a paste-loaded app on svcframe's HTTP/1.1 server (either backend).

    ``listen()`` binds the socket and must run before workers fork; each
    worker then ``start()``s serving a copy of it.
    """

    def __init__(self, name: str, binary: str, server: wsgi_server.WSGIServer,
                 conf: cfg.ConfigOpts) -> None:
        self.name = name
        self.binary = binary
        self.server = server
        self.conf = conf

    @classmethod
    def create(cls, name: str = 'api', conf: cfg.ConfigOpts | None = None,
               app: Callable | None = None) -> WSGIService:
        """Build the service for option group ``name`` (``[api]``).

        ``app`` defaults to app ``name`` of the ``[wsgi] api_paste_config``
        file. Raises ConfigError, for example for noauth on a public address.
        """
        # Imported here: the manager binaries never load the HTTP server.
        from svcframe.wsgi import loader as wsgi_loader
        from svcframe.wsgi import server as wsgi_server
        conf = cfg.CONF if conf is None else conf
        group = conf[name]
        _refuse_insecure_noauth(group)
        if app is None:
            app = wsgi_loader.load_app(conf, name)
        server = wsgi_server.WSGIServer(
            name, app, group.listen, group.port,
            wsgi_server.ServerSettings.from_conf(conf, BINARY_PREFIX + name),
            spread_connections=group.workers > 1)
        return cls(name, BINARY_PREFIX + name, server, conf)

    @property
    def workers(self) -> int:
        return self.conf[self.name].workers

    def listen(self) -> tuple[str, int]:
        try:
            return self.server.listen()
        except OSError as error:
            raise exception.ServiceStartError(
                self.binary, 'cannot listen on [%s] listen = %s, port = %s: %s'
                % (self.name, self.server.host, self.server.port,
                   error.strerror or error)) from error

    def start(self) -> None:
        # A worker started after a SIGHUP takes the reloaded settings.
        self.server.settings = self._reloaded_settings()
        self.server.start()

    def reset(self) -> None:
        self.server.reset(self._reloaded_settings())

    def _reloaded_settings(self) -> wsgi_server.ServerSettings:
        """The [wsgi] settings now configured, or the previous ones if invalid."""
        from svcframe.wsgi import server as wsgi_server
        try:
            return wsgi_server.ServerSettings.from_conf(self.conf, self.binary)
        except exception.ConfigError as error:
            LOG.error('%s keeps its previous [wsgi] settings: %s', self.binary, error)
            return self.server.settings

    def stop(self, graceful: bool = True) -> None:
        self.server.stop()

    def wait(self) -> None:
        self.server.wait()


def _refuse_insecure_noauth(group: cfg.ConfigOpts.GroupAttr) -> None:
    if group.auth_strategy != 'noauth' or group.allow_insecure_noauth:
        return
    if not _is_loopback(group.listen):
        raise exception.ConfigError(
            "[api] auth_strategy = 'noauth' makes every caller an admin, so it "
            'serves on loopback only, not on [api] listen = %r: use '
            "auth_strategy = 'http_basic', or set allow_insecure_noauth = True"
            % group.listen)


def _is_loopback(host: str) -> bool:
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
