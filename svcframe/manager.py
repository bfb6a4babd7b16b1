"""The Manager base class that plugins extend, and load_manager().

A manager holds a service's behaviour; svcframe.service.Service runs it.
Hooks a subclass may override: init_host(), cleanup_host(), reset(), periodic
tasks declared with oslo.service's ``periodic_task.periodic_task`` decorator,
and public methods taking ``(self, context, ...)``, which become RPC methods.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_service import periodic_task

from svcframe import context as svcframe_context
from svcframe import exception
from svcframe import plugins

NAMESPACE = 'svcframe.managers'


class Manager(periodic_task.PeriodicTasks):
    """Base class of every manager, built in or from a plugin."""

    def __init__(self, host: str, service_name: str,
                 conf: cfg.ConfigOpts) -> None:
        super().__init__(conf)
        self.host = host
        self.service_name = service_name
        self.conf = conf

    def init_host(self) -> None:
        """Called once when the service starts, before any periodic task."""

    def cleanup_host(self) -> None:
        """Called once when the service stops, after all work has finished."""

    def reset(self) -> None:
        """Called after SIGHUP, once mutable options hold their new values."""

    def periodic_tasks(self, context: svcframe_context.RequestContext) -> float:
        """Run the periodic tasks that are due; return seconds until the next."""
        return self.run_periodic_tasks(context, raise_on_error=False)


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
    manager_class = plugins.load_plugin(NAMESPACE, name, described)
    if not (isinstance(manager_class, type)
            and issubclass(manager_class, Manager)):
        raise exception.PluginLoadError(
            described, name, repr(manager_class),
            'it is not a subclass of svcframe.manager.Manager')
    return manager_class
