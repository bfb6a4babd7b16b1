"""The quotas API: one project's limits and usage.

    GET /v1/quotas/{project_id}   {"quota": {"project_id", "limits": {...}, "usage": {...}}}
    PUT /v1/quotas/{project_id}   {"quota": {"instances": n, "vcpus": n, "memory_mb": n}}

A limit of -1 is no limit. PUT (admin only) sets the project's own limits
for the resources it names; the others keep their value, which is the
[quota] default until one is set. A project's members may read its quota.
"""

from __future__ import annotations

import json
from typing import Any

import webob
import webob.exc
from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from svcframe import log_text
from svcframe.api.controller import Controller
from svcframe.db import quotas
from svcframe.db.api import Database

MAX_PROJECT_ID_LENGTH = 255  # the column's
MAX_LIMIT = 2 ** 31 - 1  # an INTEGER column on every backend


class QuotasController(Controller):

    def __init__(self, conf: cfg.ConfigOpts, enforcer: oslo_policy.Enforcer,
                 database: Database) -> None:
        super().__init__(conf, enforcer)
        self.database = database

    def show(self, req: webob.Request, project_id: str) -> dict[str, Any]:
        project_id = _project_id(project_id)
        self.authorize(req, 'quotas:show', {'project_id': project_id})
        return {'quota': self._view(project_id)}

    def update(self, req: webob.Request, project_id: str) -> dict[str, Any]:
        project_id = _project_id(project_id)
        self.authorize(req, 'quotas:update', {'project_id': project_id})
        limits = limit_values(self.json_body(req, 'quota'))
        quotas.set_limits(self.database, project_id, limits)
        return {'quota': self._view(project_id)}

    def _view(self, project_id: str) -> dict[str, Any]:
        return {'project_id': project_id,
                'limits': quotas.get_limits(self.database, project_id,
                                            quotas.defaults(self.conf)),
                'usage': quotas.get_usage(self.database, project_id)}


def limit_problem(value: object) -> str | None:
    """Why ``value`` is no limit, or None; the API's rule and svcframe-manage's."""
    if isinstance(value, bool) or not isinstance(value, int) \
            or not quotas.UNLIMITED <= value <= MAX_LIMIT:
        return 'must be an integer from -1 (no limit) to %d, not %s' % (
            MAX_LIMIT, json.dumps(value) if _jsonable(value) else repr(value))
    return None


def limit_values(document: dict[str, Any]) -> dict[str, int]:
    """The limits of a PUT body; 400 naming the field for anything else."""
    unknown = sorted(set(document) - set(quotas.RESOURCES))
    if unknown:
        raise webob.exc.HTTPBadRequest(
            detail='Unknown quota(s) %s; allowed: %s.'
            % (', '.join(json.dumps(name) for name in unknown), ', '.join(quotas.RESOURCES)))
    if not document:
        raise webob.exc.HTTPBadRequest(
            detail='The quota body names no limit; give one or more of %s.'
            % ', '.join(quotas.RESOURCES))
    for field in quotas.RESOURCES:
        if field in document:
            problem = limit_problem(document[field])
            if problem:
                raise webob.exc.HTTPBadRequest(detail='"%s" %s.' % (field, problem))
    return dict(document)


def _project_id(project_id: str) -> str:
    problem = project_id_problem(project_id)
    if problem:
        raise webob.exc.HTTPBadRequest(detail='The project id %s.' % problem)
    return project_id


def project_id_problem(project_id: str) -> str | None:
    if not 1 <= len(project_id) <= MAX_PROJECT_ID_LENGTH:
        return 'must be 1 to %d characters long' % MAX_PROJECT_ID_LENGTH
    unsafe = log_text.describe_unsafe(project_id)
    if unsafe:
        return 'must not hold control characters or lone surrogates; it holds %s' % unsafe
    if project_id == 'None':
        return 'must not be "None"'
    return None


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
