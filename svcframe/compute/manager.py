"""The reference compute manager: builds and tears down instances.

Like the scheduler it holds no database credentials: it hears from the
conductor over RPC and answers it the same way, and it reports its host's
capacity to it periodically.
"""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_service import periodic_task

from svcframe import context as svcframe_context
from svcframe import log_text
from svcframe import manager
from svcframe.compute import driver as compute_driver
from svcframe.rpcapi.conductor import ConductorAPI

LOG = logging.getLogger(__name__)


class ComputeManager(manager.Manager):
    """Runs the compute side of the reference workload."""

    target = messaging.Target(version='1.1')

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.driver: compute_driver.ComputeDriver | None = None
        self.conductor: ConductorAPI | None = None
        # Builds under way: a conductor that sends one again (it took over
        # from one that died) must not start a second.
        self._building: set[str] = set()

    def init_host(self) -> None:
        # An unknown driver stops the start with the installed names.
        self.driver = compute_driver.load_driver(self.conf, self.host)
        self.conductor = ConductorAPI(self.transport, self.conf)
        self._follow_report_interval()

    def reset(self) -> None:
        self._follow_report_interval()

    def _follow_report_interval(self) -> None:
        # The decorator fixes a spacing per class; this one follows the
        # (mutable) option, per instance.
        self._periodic_spacing = dict(
            self._periodic_spacing,
            report_capacity=self.conf.compute.capacity_report_interval)

    def before_up(self, context: svcframe_context.RequestContext) -> None:
        """This host counts as up only once the scheduler can know its
        capacity: an instance created the moment it is up must find it."""
        self._report_capacity(context, wait=True)

    @periodic_task.periodic_task(spacing=60)
    def report_capacity(self, context: svcframe_context.RequestContext) -> None:
        """Tell the conductor this host's totals; claims keep the usage."""
        self._report_capacity(context, wait=False)

    def _report_capacity(self, context: svcframe_context.RequestContext, wait: bool) -> None:
        capacity = self.driver.capacity()
        self.conductor.compute_node_report(context, self.host, capacity.vcpus,
                                           capacity.memory_mb, wait=wait)

    def build_instance(self, context: svcframe_context.RequestContext,
                       instance: dict[str, Any], tried_hosts: list[str]) -> None:
        """Build ``instance`` and report it; safe to receive twice."""
        uuid = instance['uuid']
        if uuid in self._building:
            LOG.info('Instance %s is being built here already; that build will report',
                     uuid)
            return
        if self.driver.has(uuid):
            LOG.info('Instance %s was built here already; reporting it again', uuid)
            self.conductor.build_finished(context, instance, self.host, None, tried_hosts)
            return
        self._building.add(uuid)
        try:
            fault = self._spawn(instance)
        finally:
            self._building.discard(uuid)
        self.conductor.build_finished(context, instance, self.host, fault, tried_hosts)

    def _spawn(self, instance: dict[str, Any]) -> str | None:
        """The fault, or None when the instance was built."""
        try:
            self.driver.spawn(instance)
        except Exception as error:  # noqa: BLE001 - any driver failure is a fault
            # A driver's message may quote the client's instance name.
            LOG.warning('Building instance %s failed on %s: %s',
                        instance['uuid'], self.host, log_text.escape(str(error)))
            return str(error) or type(error).__name__
        LOG.info('Built instance %s', instance['uuid'])
        return None

    def terminate_instance(self, context: svcframe_context.RequestContext,
                           instance: dict[str, Any]) -> None:
        self.driver.destroy(instance)
        LOG.info('Tore down instance %s', instance['uuid'])
        self.conductor.instance_destroyed(context, instance['uuid'], self.host)
