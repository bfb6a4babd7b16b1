"""The reference conductor manager: the only service that writes instances.

An instance's life: the API records it ``building`` and casts
``build_instance``; the conductor asks the scheduler for ranked hosts and
claims room on the first that still has it (one conditional UPDATE), then
casts the build to that host. Compute answers ``build_finished``: the record
goes ``active``, or the claim is freed and the next host is tried until
``[scheduler] max_attempts`` hosts have failed; a build on a host that went
down is ended by a periodic task. Deleting goes through the host the same
way and frees the claim when the record goes.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from typing import Any

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_service import periodic_task

from svcframe import context as svcframe_context
from svcframe import exception
from svcframe import log_text
from svcframe import manager
from svcframe import servicegroup
from svcframe.db import compute_nodes
from svcframe.db import instances
from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.rpcapi.compute import ComputeAPI
from svcframe.rpcapi.scheduler import SchedulerAPI

LOG = logging.getLogger(__name__)

Context = svcframe_context.RequestContext

# Builds scheduled at once, on threads of their own rather than the RPC
# executor's: scheduling waits on the scheduler, which calls back here for
# host states, so builds holding every executor thread would leave none to
# answer it (nor the heartbeats).
SCHEDULING_THREADS = 32
# How often builds on hosts that went down are looked for; a host counts as
# down only after [DEFAULT] service_down_time anyway.
LOST_BUILD_CHECK_SECONDS = 10


class ConductorManager(manager.Manager):
    """Runs the conductor side of the reference workload."""

    target = messaging.Target(version='1.1')

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.database: Database | None = None
        self.scheduler: SchedulerAPI | None = None
        self.compute: ComputeAPI | None = None
        self._scheduling: futures.ThreadPoolExecutor | None = None

    def check_before_start(self) -> None:
        """Refuse a database whose schema this release cannot use.

        svcframe-conductor calls it once, before its workers fork, so that a
        SchemaMismatch exits 1 with one line; init_host() runs in each worker,
        where a failure is a start failure (exit 3). A database that does not
        answer is not checked: the conductor starts and its heartbeat retries.
        """
        database = Database(self.conf)
        try:
            migration.check_if_reachable(database)
        finally:
            database.close()

    def init_host(self) -> None:
        # Connects on first use, in the worker that serves it.
        self.database = self.database or Database(self.conf)
        self.scheduler = SchedulerAPI(self.transport, self.conf)
        self.compute = ComputeAPI(self.transport, self.conf)
        self._scheduling = futures.ThreadPoolExecutor(SCHEDULING_THREADS,
                                                      thread_name_prefix='schedule')

    def cleanup_host(self) -> None:
        if self._scheduling is not None:
            self._scheduling.shutdown(wait=True)  # the builds being scheduled
        if self.database is not None:
            self.database.close()

    # From the API.

    def build_instance(self, context: Context, instance: dict[str, Any]) -> None:
        self._submit(self._schedule, context, instance, [])

    def _submit(self, work: Callable[..., None], context: Context, *args: Any) -> None:
        """Run ``work`` on a scheduling thread (inline before init_host())."""
        if self._scheduling is None:
            work(context, *args)
            return
        self._scheduling.submit(_in_context, work, context, *args).add_done_callback(
            _log_failure)

    def _schedule(self, context: Context, instance: dict[str, Any],
                  tried_hosts: list[str]) -> None:
        """Claim a host for the instance and cast its build there."""
        uuid = instance['uuid']
        try:
            host = self._claim_host(context, instance, tried_hosts)
        except exception.InstanceNotFound:
            return  # deleted before it had a host
        except messaging.MessagingException as error:
            self._fail(uuid, 'The scheduler did not answer: %s' % error)
            return
        if host is None:
            self._fail(uuid, str(exception.NoValidHost(
                'No compute host has %d vcpus and %d MB of memory free, enabled and up'
                '%s.' % (instance['vcpus'], instance['memory_mb'], _besides(tried_hosts)))))
            return
        # The name is the client's: escaped, so it cannot forge log lines.
        LOG.info('Instance %s (%s): building on %s', uuid,
                 log_text.escape(str(instance['name'])), host)
        self.compute.build_instance(context, host, instance, [*tried_hosts, host])

    def _claim_host(self, context: Context, instance: dict[str, Any],
                    tried_hosts: list[str]) -> str | None:
        """The first ranked host that takes the claim, or None.

        The scheduler may rank from host states a moment old; the claim
        checks room and the service anew, and when no host it names takes
        the claim, the scheduler is asked once more with fresh states.
        InstanceNotFound when the instance is no longer building.
        """
        spec = {key: instance.get(key) for key in ('vcpus', 'memory_mb', 'name', 'project_id')}
        for fresh in (False, True):
            for host in self.scheduler.select_destinations(context, spec, tried_hosts,
                                                           fresh=fresh):
                if instances.claim(self.database, instance['uuid'], host, instance['vcpus'],
                                   instance['memory_mb'], servicegroup.up_cutoff(self.conf)):
                    return host
        return None

    def delete_instance(self, context: Context, instance_uuid: str) -> None:
        try:
            record = instances.get(self.database, instance_uuid)
        except exception.InstanceNotFound:
            return
        if record.host is None:
            instances.destroy(self.database, instance_uuid)
        else:
            self.compute.terminate_instance(context, record.host, _instance_dict(record))

    # From compute.

    def build_finished(self, context: Context, instance: dict[str, Any], host: str,
                       fault: str | None, tried_hosts: list[str]) -> None:
        uuid = instance['uuid']
        if fault is None:
            if not instances.update(self.database, uuid, {'state': instances.ACTIVE},
                                    states=(instances.BUILDING,), host=host):
                self._built_for_nothing(context, instance, host)
                return
            LOG.info('Instance %s is active on %s', uuid, host)
            return
        if not instances.unclaim(self.database, uuid, host, {}):
            self._built_for_nothing(context, instance, host)
            return
        if len(tried_hosts) >= self.conf.scheduler.max_attempts:
            self._fail(uuid, 'Build failed on %d host(s) ([scheduler] max_attempts = %d); '
                       'the last said: %s'
                       % (len(tried_hosts), self.conf.scheduler.max_attempts, fault))
            return
        LOG.info('Instance %s failed to build on %s; trying another host', uuid, host)
        self._submit(self._schedule, context, instance, tried_hosts)

    def _built_for_nothing(self, context: Context, instance: dict[str, Any],
                           host: str) -> None:
        """The instance is being deleted (or is gone) while ``host`` built it:
        tear it down there too, which is harmless if the host did already."""
        LOG.info('Instance %s was deleted while %s built it; tearing it down',
                 instance['uuid'], host)
        self.compute.terminate_instance(context, host, instance)

    def instance_destroyed(self, context: Context, instance_uuid: str, host: str) -> None:
        instances.destroy(self.database, instance_uuid)

    def compute_node_report(self, context: Context, host: str, vcpus: int,
                            memory_mb: int) -> None:
        compute_nodes.report(self.database, host, vcpus, memory_mb)

    @periodic_task.periodic_task(spacing=LOST_BUILD_CHECK_SECONDS)
    def fail_builds_on_lost_hosts(self, context: Context) -> None:
        """End the builds whose compute host went down: none would ever finish.

        The claim is freed. Should the host come back and report the build,
        build_finished() finds the instance no longer building there and
        has the host tear it down.
        """
        up_since = servicegroup.up_cutoff(self.conf)
        for row in instances.building_on_lost_hosts(self.database, up_since):
            fault = ('Compute host %s went down during the build ([DEFAULT] '
                     'service_down_time = %d s).' % (row.host, self.conf.service_down_time))
            if instances.unclaim(self.database, row.uuid, row.host,
                                 {'state': instances.ERROR, 'fault': fault}):
                LOG.warning('Instance %s failed: %s', row.uuid, fault)

    # From the scheduler.

    def host_states(self, context: Context) -> list[dict[str, Any]]:
        cutoff = servicegroup.up_cutoff(self.conf)
        return [{'host': row.host, 'vcpus': row.vcpus, 'memory_mb': row.memory_mb,
                 'vcpus_used': row.vcpus_used, 'memory_mb_used': row.memory_mb_used,
                 'enabled': not row.disabled,
                 'up': servicegroup.is_up(row, self.conf, cutoff=cutoff)}
                for row in compute_nodes.host_states(self.database)]

    def _fail(self, instance_uuid: str, fault: str) -> None:
        # A driver's fault may quote the client's instance name.
        LOG.warning('Instance %s failed: %s', instance_uuid, log_text.escape(fault))
        instances.update(self.database, instance_uuid,
                         {'state': instances.ERROR, 'fault': fault},
                         states=(instances.BUILDING,))


def _in_context(work: Callable[..., None], context: Context, *args: Any) -> None:
    # Log lines name the request id of the context current in their thread:
    # make it this request's in the pool thread too.
    context.update_store()
    work(context, *args)


def _log_failure(future: futures.Future) -> None:
    error = future.exception()
    if error is not None:
        LOG.error('Scheduling a build failed', exc_info=error)


def _instance_dict(record: Any) -> dict[str, Any]:
    return {'uuid': record.uuid, 'name': record.name, 'vcpus': record.vcpus,
            'memory_mb': record.memory_mb, 'project_id': record.project_id}


def _besides(tried_hosts: list[str]) -> str:
    return ' besides %s, where building failed' % ', '.join(tried_hosts) if tried_hosts else ''
