"""The services API: the registry, for admins.

    GET    /v1/services[?host=&binary=]
    PUT    /v1/services/{id}   {"status": "disabled", "disabled_reason": "..."}
                               {"status": "enabled"}   {"forced_down": true|false}
    DELETE /v1/services/{id}

A PUT body may also come wrapped as ``{"service": {...}}``.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import webob
import webob.exc
from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from svcframe import exception
from svcframe import servicegroup
from svcframe.api.controller import Controller, parse_json
from svcframe.db.api import Database

MAX_REASON_LENGTH = 255


class ServicesController(Controller):

    def __init__(self, conf: cfg.ConfigOpts, enforcer: oslo_policy.Enforcer,
                 database: Database) -> None:
        super().__init__(conf, enforcer)
        self.database = database

    def index(self, req: webob.Request) -> dict[str, Any]:
        self.authorize(req, 'admin_api')
        services = self.database.service_get_all(host=req.GET.get('host'),
                                                 binary=req.GET.get('binary'))
        cutoff = servicegroup.up_cutoff(self.conf)
        return {'services': [self._view(service, cutoff) for service in services]}

    def update(self, req: webob.Request, service_id: str) -> dict[str, Any]:
        self.authorize(req, 'admin_api')
        values = _update_values(req.body)
        service = self.database.service_update(_service_id(service_id), values)
        return {'service': self._view(service)}

    def delete(self, req: webob.Request, service_id: str) -> tuple[int, None]:
        self.authorize(req, 'admin_api')
        self.database.service_destroy(_service_id(service_id))
        return 204, None

    def _view(self, service: Any, cutoff: datetime.datetime | None = None) -> dict[str, Any]:
        return {
            'id': service.id, 'binary': service.binary, 'host': service.host,
            'topic': service.topic,
            'status': 'disabled' if service.disabled else 'enabled',
            'disabled_reason': service.disabled_reason,
            'state': servicegroup.state(service, self.conf, cutoff=cutoff),
            'forced_down': service.forced_down,
            'updated_at': service.updated_at.isoformat() if service.updated_at else None,
            'report_count': service.report_count,
        }


def _service_id(text: str) -> int:
    if not text.isdigit():
        raise exception.ServiceNotFound(text)
    return int(text)


def _update_values(body: bytes) -> dict[str, Any]:
    """The columns a PUT body changes; 400 for anything else."""
    document = parse_json(body)
    if isinstance(document, dict) and isinstance(document.get('service'), dict):
        document = document['service']
    if not isinstance(document, dict) or not document:
        raise webob.exc.HTTPBadRequest(
            detail='The request body must be a JSON object with "status" and '
                   '"disabled_reason", or "forced_down".')
    unknown = sorted(set(document) - {'status', 'disabled_reason', 'forced_down'})
    if unknown:
        raise webob.exc.HTTPBadRequest(
            detail='Unknown field(s) %s; allowed: status, disabled_reason, forced_down.'
            % ', '.join(unknown))
    values: dict[str, Any] = {}
    if 'forced_down' in document:
        if not isinstance(document['forced_down'], bool):
            raise webob.exc.HTTPBadRequest(detail='"forced_down" must be true or false.')
        values['forced_down'] = document['forced_down']
    if 'status' in document:
        values.update(_status_values(document['status'], document.get('disabled_reason')))
    elif 'disabled_reason' in document:
        raise webob.exc.HTTPBadRequest(
            detail='"disabled_reason" goes with "status": "disabled".')
    return values


def _status_values(status: object, reason: object) -> dict[str, Any]:
    if status == 'enabled':
        if reason is not None:
            raise webob.exc.HTTPBadRequest(
                detail='"disabled_reason" goes with "status": "disabled".')
        return {'disabled': False, 'disabled_reason': None}
    if status != 'disabled':
        raise webob.exc.HTTPBadRequest(
            detail='"status" must be "enabled" or "disabled", not %s.' % json.dumps(status))
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH):
        raise webob.exc.HTTPBadRequest(
            detail='"disabled_reason" must be a string of at most %d characters.'
            % MAX_REASON_LENGTH)
    return {'disabled': True, 'disabled_reason': reason}
