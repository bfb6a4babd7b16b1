"""The reference conductor manager: the only service that writes instances.

An instance's life: the API records it ``building`` and casts
``build_instance``; the conductor asks the scheduler for ranked hosts and
claims room on the first that still has it (one conditional UPDATE), then
casts the build to that host. Compute answers ``build_finished``: the record
goes ``active``, or the claim is freed and the next host is tried until
``[scheduler] max_attempts`` hosts have failed; a build on a host that went
down is ended by a periodic task. Deleting goes through the host the same
way and frees the claim when the record goes.

Every step is crash-safe: the conductor that works on an instance holds its
lease (svcframe/conductor/leases.py), and a conductor that dies, or a
message that is lost, leaves the lease to expire; a periodic task of every
conductor then takes the instance over and carries it on from what the
record says. The steps are idempotent (a claim is taken and freed once, by
conditional UPDATEs; compute builds an instance once however often asked),
so doing one again is harmless.
"""

from __future__ import annotations

import functools
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
from svcframe import metrics
from svcframe import servicegroup
from svcframe import threads
from svcframe.conductor.leases import LeaseKeeper
from svcframe.db import compute_nodes
from svcframe.db import instances
from svcframe.db import leases
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
# How often the registry's counts are refreshed for the metrics.
METRICS_SECONDS = 10


# The heartbeat says once that the database is down (or unmigrated); the
# RPC caller gets the error, and no traceback is logged per call or task.
_database_may_be_down = messaging.expected_exceptions(exception.DatabaseUnavailable)


def _skipped_while_database_down(task: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(task)
    def run(self: Any, context: Context) -> None:
        try:
            task(self, context)
        except exception.DatabaseUnavailable as error:
            LOG.debug('%s skipped: %s', task.__name__, error)
    return run


class ConductorManager(manager.Manager):
    """Runs the conductor side of the reference workload."""

    target = messaging.Target(version='1.1')

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.database: Database | None = None
        self.scheduler: SchedulerAPI | None = None
        self.compute: ComputeAPI | None = None
        self.leases: LeaseKeeper | None = None
        self._scheduling: threads.Pool | None = None

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
        self.leases = LeaseKeeper(self.database, self.conf, self.host)
        self._scheduling = threads.Pool(SCHEDULING_THREADS, thread_name_prefix='schedule')
        self._follow_lease_seconds()

    def reset(self) -> None:
        self._follow_lease_seconds()

    def _follow_lease_seconds(self) -> None:
        # Leases are renewed, and expired ones looked for, three times a lease.
        self._periodic_spacing = dict(
            self._periodic_spacing,
            take_over_expired=max(1.0, self.conf.conductor.lease_seconds / 3))

    def cleanup_host(self) -> None:
        if self._scheduling is not None:
            self._scheduling.shutdown(wait=True)  # the builds being scheduled
        if self.database is not None:
            self.database.close()

    # From the API.

    @_database_may_be_down
    def build_instance(self, context: Context, instance: dict[str, Any]) -> None:
        # A new request: no host tried yet. Its lease is taken with the
        # claim (or by the renewal, if scheduling takes long).
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
        """Claim a host for the instance this conductor holds and cast its build there."""
        uuid = instance['uuid']
        self.leases.scheduling.add(uuid)
        try:
            host = self._claim_host(context, instance, tried_hosts)
        except exception.InstanceNotFound:
            return  # deleted before it had a host, or another conductor has it
        except messaging.MessagingException as error:
            # Its lease, no longer renewed, expires: scheduled again then.
            LOG.warning('Instance %s: the scheduler did not answer (%s); it is '
                        'scheduled again in [conductor] lease_seconds', uuid, error)
            return
        finally:
            self.leases.scheduling.discard(uuid)
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
        InstanceNotFound when the instance is no longer building, or no
        longer held by this conductor. The claim gives the host
        [conductor] host_step_timeout to report the build.
        """
        spec = {key: instance.get(key) for key in ('vcpus', 'memory_mb', 'name', 'project_id')}
        for fresh in (False, True):
            # A call lost on the way (a broker restart) costs a lease, not
            # rpc_response_timeout: the build is scheduled again once it expires.
            for host in self.scheduler.select_destinations(
                    context, spec, tried_hosts, fresh=fresh,
                    timeout=self.leases.lease_seconds):
                if instances.claim(self.database, instance['uuid'], host, instance['vcpus'],
                                   instance['memory_mb'], servicegroup.up_cutoff(self.conf),
                                   holder=self.leases.holder, tried_hosts=tried_hosts,
                                   deadline=self.leases.step_deadline()):
                    return host
        return None

    @_database_may_be_down
    def delete_instance(self, context: Context, instance_uuid: str) -> None:
        if not self.leases.take(instance_uuid, instances.DELETING):
            LOG.debug('Instance %s: another conductor holds it', instance_uuid)
            return
        try:
            self._tear_down(context, instances.get(self.database, instance_uuid))
        except exception.InstanceNotFound:
            return

    def _tear_down(self, context: Context, row: Any) -> None:
        """Delete the instance this conductor holds, through its host if it has one."""
        if row.host is None:
            instances.destroy(self.database, row.uuid)
            return
        # The host has host_step_timeout to report; else it is sent again.
        if leases.renew(self.database, self.leases.holder, [row.uuid],
                        self.leases.step_seconds):
            self.compute.terminate_instance(context, row.host, _instance_dict(row))

    # From compute.

    @_database_may_be_down
    def build_finished(self, context: Context, instance: dict[str, Any], host: str,
                       fault: str | None, tried_hosts: list[str]) -> None:
        uuid = instance['uuid']
        if fault is None:
            if not instances.update(self.database, uuid,
                                    {'state': instances.ACTIVE, **instances.NO_LEASE},
                                    states=(instances.BUILDING,), host=host):
                self._built_for_nothing(context, instance, host)
                return
            LOG.info('Instance %s is active on %s', uuid, host)
            return
        # This conductor carries the instance on: it holds it from here.
        row = instances.unclaim(self.database, uuid, host, {
            'lease_holder': self.leases.holder,
            'lease_expires_at': leases.expiry(self.leases.lease_seconds)})
        if row is None:
            self._built_for_nothing(context, instance, host)
            return
        tried = leases.tried_hosts(row) or tried_hosts
        if len(tried) >= self.conf.scheduler.max_attempts:
            self._fail(uuid, 'Build failed on %d host(s) ([scheduler] max_attempts = %d); '
                       'the last said: %s'
                       % (len(tried), self.conf.scheduler.max_attempts, fault))
            return
        LOG.info('Instance %s failed to build on %s; trying another host', uuid, host)
        self._submit(self._schedule, context, instance, tried)

    def _built_for_nothing(self, context: Context, instance: dict[str, Any],
                           host: str) -> None:
        """The instance is being deleted (or is gone) while ``host`` built it:
        tear it down there too, which is harmless if the host did already."""
        LOG.info('Instance %s was deleted while %s built it; tearing it down',
                 instance['uuid'], host)
        self.compute.terminate_instance(context, host, instance)

    @_database_may_be_down
    def instance_destroyed(self, context: Context, instance_uuid: str, host: str) -> None:
        instances.destroy(self.database, instance_uuid)

    @_database_may_be_down
    def compute_node_report(self, context: Context, host: str, vcpus: int,
                            memory_mb: int) -> None:
        compute_nodes.report(self.database, host, vcpus, memory_mb)

    @periodic_task.periodic_task(spacing=LOST_BUILD_CHECK_SECONDS)
    @_skipped_while_database_down
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
                                 {'state': instances.ERROR, 'fault': fault,
                                  **instances.NO_LEASE}):
                LOG.warning('Instance %s failed: %s', row.uuid, fault)

    @periodic_task.periodic_task(spacing=METRICS_SECONDS, run_immediately=True)
    @_skipped_while_database_down
    def count_for_metrics(self, context: Context) -> None:
        """svcframe_services and svcframe_instances, when metrics are on."""
        if not metrics.current.enabled:
            return
        services: dict[tuple[str, str], int] = {}
        cutoff = servicegroup.up_cutoff(self.conf)
        for service in self.database.service_get_all():
            state = ('disabled' if service.disabled else
                     servicegroup.state(service, self.conf, cutoff=cutoff))
            key = (service.binary, state)
            services[key] = services.get(key, 0) + 1
        metrics.current.registry_counts(services, instances.count_by_state(self.database))

    @periodic_task.periodic_task(spacing=10, run_immediately=True)
    @_skipped_while_database_down
    def take_over_expired(self, context: Context) -> None:
        """Renew the leases of the instances being scheduled here, and take
        over those whose lease expired: their conductor died, or a message
        or a host's report was lost. Each is carried on from its record."""
        self.leases.renew()
        for row in self.leases.take_expired():
            self._submit(self._resume, context, row)

    def _resume(self, context: Context, row: Any) -> None:
        if self.leases.past_bound(row):
            self._give_up(row)
            return
        LOG.info('Instance %s: taking over its %s (lease of %s expired)', row.uuid,
                 'build' if row.state == instances.BUILDING else 'deletion',
                 log_text.escape(str(row.lease_holder or 'no conductor')))
        if row.state == instances.DELETING:
            self._tear_down(context, row)
        elif row.host is None:
            self._schedule(context, _instance_dict(row), leases.tried_hosts(row))
        else:
            self._build_again(context, row)

    def _build_again(self, context: Context, row: Any) -> None:
        """Send the build to the host that holds its claim once more: the
        host lost it (restarted) or its report was lost; building twice is
        not a risk, compute builds an instance once."""
        tried = leases.tried_hosts(row)
        if len(tried) >= self.conf.scheduler.max_attempts:
            fault = ('The build was sent %d time(s) ([scheduler] max_attempts = %d) and '
                     'host %s never reported it.'
                     % (len(tried), self.conf.scheduler.max_attempts, row.host))
            if instances.unclaim(self.database, row.uuid, row.host,
                                 {'state': instances.ERROR, 'fault': fault,
                                  **instances.NO_LEASE}):
                LOG.warning('Instance %s failed: %s', row.uuid, fault)
            return
        tried = self.leases.give_step_to(row.uuid, row.host)
        if tried is not None:
            self.compute.build_instance(context, row.host, _instance_dict(row), tried)

    def _give_up(self, row: Any) -> None:
        """End an instance still on its way past [conductor] action_timeout."""
        bound = self.conf.conductor.action_timeout
        if row.state == instances.BUILDING:
            fault = ('Not built within [conductor] action_timeout = %d s of the request%s.'
                     % (bound, ' (last sent to host %s)' % row.host if row.host else ''))
            values = {'state': instances.ERROR, 'fault': fault, **instances.NO_LEASE}
            ended = (instances.unclaim(self.database, row.uuid, row.host, values)
                     if row.host else
                     instances.update(self.database, row.uuid, values,
                                      states=(instances.BUILDING,)))
        else:
            # Its claim stays: the instance may still be on the host.
            fault = ('Not torn down within [conductor] action_timeout = %d s of the '
                     'request: host %s did not report it; delete it again.' % (bound, row.host))
            ended = instances.update(self.database, row.uuid,
                                     {'state': instances.ERROR, 'fault': fault,
                                      **instances.NO_LEASE},
                                     states=(instances.DELETING,))
        if ended:
            LOG.warning('Instance %s failed: %s', row.uuid, fault)

    # From the scheduler.

    @_database_may_be_down
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
                         {'state': instances.ERROR, 'fault': fault, **instances.NO_LEASE},
                         states=(instances.BUILDING,))


def _in_context(work: Callable[..., None], context: Context, *args: Any) -> None:
    # Log lines name the request id of the context current in their thread:
    # make it this request's in the pool thread too.
    context.update_store()
    work(context, *args)


def _log_failure(future: futures.Future) -> None:
    error = future.exception()
    if isinstance(error, (exception.DatabaseUnavailable, messaging.MessagingException)):
        # Expected while the database or the broker is away: the instance's
        # lease expires and a conductor carries it on once they are back.
        LOG.warning('A step of an instance stopped, to be taken over later: %s', error)
    elif error is not None:
        LOG.error('Scheduling a build failed', exc_info=error)


def _instance_dict(record: Any) -> dict[str, Any]:
    return {'uuid': record.uuid, 'name': record.name, 'vcpus': record.vcpus,
            'memory_mb': record.memory_mb, 'project_id': record.project_id}


def _besides(tried_hosts: list[str]) -> str:
    return ' besides %s, where building failed' % ', '.join(tried_hosts) if tried_hosts else ''
