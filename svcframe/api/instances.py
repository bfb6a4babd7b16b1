"""The instances API: the reference workload, for owners and admins.

    POST   /v1/instances        {"instance": {"name", "vcpus", "memory_mb"}} -> 202
    GET    /v1/instances[?limit=&marker=]   the caller's project's (an admin's: all)
    GET    /v1/instances/{id}
    DELETE /v1/instances/{id}   -> 202; the record goes once its host tore it down

The API records the instance and casts to the conductor, which does the rest.

An instance belongs to the project that created it; a caller without a
project can create none. Another project's instance is a 404 with the same
message as a missing one, so a caller cannot learn which ids exist.

The list comes in pages, oldest first, as the services list does (see
paging.py): ``?marker=`` is the id of the last instance of the previous
page, and a marker the caller could not have listed is a 400 like an
unknown one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import oslo_messaging as messaging
import webob
import webob.exc
from oslo_config import cfg
from oslo_log import log as logging
from oslo_policy import policy as oslo_policy

from svcframe import exception
from svcframe import log_text
from svcframe.api import paging
from svcframe.api import policy
from svcframe.api.controller import Controller
from svcframe.db import instances
from svcframe.db import quotas
from svcframe.db.api import Database
from svcframe.rpcapi.conductor import ConductorAPI

LOG = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
MAX_SIZE = 2 ** 31 - 1  # an INTEGER column on every backend
FIELDS = ('name', 'vcpus', 'memory_mb')
LIST_PARAMETERS = ('limit', 'marker')


class InstancesController(Controller):
    """``conductor`` returns the client to cast to, built on first use."""

    def __init__(self, conf: cfg.ConfigOpts, enforcer: oslo_policy.Enforcer,
                 database: Database, conductor: Callable[[], ConductorAPI]) -> None:
        super().__init__(conf, enforcer)
        self.database = database
        self.conductor = conductor

    def index(self, req: webob.Request) -> dict[str, Any]:
        self.authorize(req, 'instances:index')
        context = self.context(req)
        every_project = policy.is_admin(self.enforcer, context)
        params = paging.list_parameters(req, LIST_PARAMETERS)
        limit = paging.page_limit(self.conf, params)
        marker = params.get('marker')
        if context.project_id is None and not every_project:
            return {'instances': []}  # not those created with no project: nobody owns them
        try:
            # One more than the page: whether a next page exists.
            rows = instances.get_all(self.database, project_id=context.project_id,
                                     every_project=every_project, limit=limit + 1,
                                     marker=marker)
        except exception.InstanceNotFound:
            raise webob.exc.HTTPBadRequest(
                detail='marker %s is not the id of any instance listed to this caller; use '
                       'the id of the last instance of the previous page.'
                % json.dumps(marker)) from None
        return paging.page(req, params, 'instances', rows, limit, _view,
                           lambda row: row.uuid)

    def show(self, req: webob.Request, instance_id: str) -> dict[str, Any]:
        return {'instance': _view(self._find(req, instance_id, 'instances:show'))}

    def create(self, req: webob.Request) -> tuple[int, dict[str, Any]]:
        self.authorize(req, 'instances:create')
        context = self.context(req)
        if context.project_id is None:
            raise webob.exc.HTTPForbidden(
                detail='Creating an instance needs a project, and this caller has none.')
        values = _create_values(self.json_body(req, 'instance'))
        try:
            record = instances.create(self.database, project_id=context.project_id,
                                      user_id=context.user_id,
                                      quota=quotas.defaults(self.conf),
                                      lease_seconds=self.conf.conductor.lease_seconds,
                                      **values)
        except exception.QuotaExceeded as error:
            raise webob.exc.HTTPForbidden(detail='%s.' % error) from None
        try:
            self.conductor().build_instance(context, {
                'uuid': record.uuid, 'name': record.name, 'vcpus': record.vcpus,
                'memory_mb': record.memory_mb, 'project_id': record.project_id})
        except messaging.MessagingException as error:
            self._unreachable(record.uuid, error)
        return 202, {'instance': _view(record)}

    def delete(self, req: webob.Request, instance_id: str) -> tuple[int, None]:
        record = self._find(req, instance_id, 'instances:delete')
        if instances.start_delete(self.database, record.uuid,
                                  self.conf.conductor.lease_seconds):
            try:
                self.conductor().delete_instance(self.context(req), record.uuid)
            except messaging.MessagingException as error:
                self._unreachable(record.uuid, error)
        return 202, None

    def _find(self, req: webob.Request, instance_id: str, rule: str) -> Any:
        """The instance, if the caller may see it, and may do ``rule`` to it.

        Not the caller's (nor an admin's) is InstanceNotFound, as missing is:
        a 403 would tell that the id exists. The policy check after it can
        still refuse an owner a 403 (an operator's policy file, say).
        """
        record = instances.get(self.database, instance_id)
        context = self.context(req)
        owner = record.project_id is not None and record.project_id == context.project_id
        if not (owner or policy.is_admin(self.enforcer, context)):
            raise exception.InstanceNotFound(instance_id)
        self.authorize(req, rule, {'project_id': record.project_id})
        return record

    def _unreachable(self, uuid: str, error: Exception) -> None:
        LOG.error('Instance %s: cannot reach the conductor: %s', uuid, error)
        instances.update(self.database, uuid,
                         {'state': instances.ERROR, 'fault': 'The conductor was unreachable.',
                          **instances.NO_LEASE})
        raise webob.exc.HTTPServiceUnavailable(
            detail='The conductor is unreachable; the instance is in state error. '
                   'Try again later.')


def _view(record: Any) -> dict[str, Any]:
    return {
        'id': record.uuid, 'name': record.name, 'vcpus': record.vcpus,
        'memory_mb': record.memory_mb, 'state': record.state, 'host': record.host,
        'fault': record.fault,
        'created_at': record.created_at.isoformat(),
        'updated_at': record.updated_at.isoformat() if record.updated_at else None,
    }


def _create_values(document: dict[str, Any]) -> dict[str, Any]:
    """name, vcpus and memory_mb from a create body; 400 for anything else."""
    unknown = sorted(set(document) - set(FIELDS))
    if unknown:
        raise webob.exc.HTTPBadRequest(
            detail='Unknown field(s) %s; allowed: %s.' % (', '.join(unknown), ', '.join(FIELDS)))
    name = document.get('name')
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise webob.exc.HTTPBadRequest(
            detail='"name" must be a non-empty string of at most %d characters.'
            % MAX_NAME_LENGTH)
    unsafe = log_text.describe_unsafe(name)
    if unsafe:
        raise webob.exc.HTTPBadRequest(
            detail='"name" must not hold control characters, line separators or lone '
                   'surrogates; it holds %s.' % unsafe)
    for field in ('vcpus', 'memory_mb'):
        value = document.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
            raise webob.exc.HTTPBadRequest(
                detail='"%s" must be an integer from 1 to %d, not %s.'
                % (field, MAX_SIZE, json.dumps(value)))
    return {field: document[field] for field in FIELDS}
