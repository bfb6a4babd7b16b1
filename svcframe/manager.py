"""The Manager base class that plugins extend, and load_manager().

A manager holds a service's behaviour; svcframe.service.Service runs it.
Hooks a subclass may override: check_before_start(), init_host(), before_up(),
cleanup_host(), reset(), periodic tasks declared with oslo.service's
``periodic_task.periodic_task`` decorator, and public methods taking
``(self, context, ...)``, which become RPC methods.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_service import periodic_task

from svcframe import context as svcframe_context
from svcframe import exception
from svcframe import metrics
from svcframe import plugins

NAMESPACE = 'svcframe.managers'


class Manager(periodic_task.PeriodicTasks):
    """Base class of every manager, built in or from a plugin.

    ``target`` carries the manager's RPC API version; a manager that serves
    more objects over RPC lists them in ``additional_endpoints``.
    ``transport`` is the service's RPC transport, for the clients in
    svcframe.rpcapi that the manager calls: the Service sets it before
    ``init_host()``, and it is None until then.
    """

    target = messaging.Target(version='1.0')

    def __init__(self, host: str, service_name: str,
                 conf: cfg.ConfigOpts) -> None:
        super().__init__(conf)
        self.host = host
        self.service_name = service_name
        self.conf = conf
        self.additional_endpoints: list[object] = []
        self.transport: messaging.Transport | None = None
        # Each periodic task measured (svcframe.metrics), on this instance.
        self._periodic_tasks = [(name, _measured(name, task))
                                for name, task in type(self)._periodic_tasks]

    def check_before_start(self) -> None:
        """Called once by the binary, before it forks workers: raise a
        svcframe error (one line, exit 1) to refuse to start."""

    def init_host(self) -> None:
        """Called once when the service starts, before any periodic task."""

    def before_up(self, context: svcframe_context.RequestContext) -> None:
        """Called once the service is registered and before its first
        heartbeat report, from which others see it up (again after a
        re-registration). Do here what they must be able to rely on then;
        raise to be retried, as a failed heartbeat is, staying down."""

    def cleanup_host(self) -> None:
        """Called once when the service stops, after all work has finished."""

    def reset(self) -> None:
        """Called after SIGHUP, once mutable options hold their new values."""

    def periodic_tasks(self, context: svcframe_context.RequestContext) -> float:
        """Run the periodic tasks that are due; return seconds until the next."""
        return self.run_periodic_tasks(context, raise_on_error=False)


def _measured(name: str, task: Callable[..., None]) -> Callable[..., None]:
    """``task``, timed and its failures counted; oslo.service still logs them."""
    @functools.wraps(task)  # keeps the attributes oslo.service reads
    def run(manager: Manager, context: svcframe_context.RequestContext) -> None:
        started = time.monotonic()
        failed = True
        try:
            task(manager, context)
            failed = False
        finally:
            metrics.current.periodic_task(name, time.monotonic() - started, failed)
    return run


class RPCAccessPolicy(messaging.RPCAccessPolicyBase):
    """RPC may call a manager's own public methods, not the base class's hooks."""

    def is_allowed(self, endpoint: object, method: str) -> bool:
        if method.startswith('_'):
            return False
        return not (isinstance(endpoint, Manager) and hasattr(Manager, method))


def load_manager(topic: str, conf: cfg.ConfigOpts,
                 name: str | None = None) -> type[Manager]:
    """Load the Manager class ``name``, by default the one that
    ``[DEFAULT] <topic>_manager`` names."""
    option = '%s_manager' % topic
    described = '[DEFAULT] %s' % option
    if name is None:
        if option not in conf:
            raise exception.ConfigError(
                'no manager is configured for topic %r: %s is not a '
                'registered option' % (topic, described))
        name = conf[option]
    return plugins.load_subclass(NAMESPACE, name, described, Manager)
