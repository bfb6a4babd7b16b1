"""The services API: the registry, for admins.

    GET    /v1/services[?host=&binary=&limit=&marker=]
    GET    /v1/services/{id}
    PUT    /v1/services/{id}   {"status": "disabled", "disabled_reason": "..."}
                               {"status": "enabled"}   {"forced_down": true|false}
    DELETE /v1/services/{id}

A PUT body may also come wrapped as ``{"service": {...}}``.

The list comes in pages, in id order, of at most ``[api] max_limit`` records
(``?limit=`` asks for fewer); ``?marker=`` is the id of the last record of the
previous page. A page with more records after it carries a "next" link in
``services_links``. Unknown query parameters are a 400 that lists the known
ones (see paging.py).
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
from svcframe import log_text
from svcframe import servicegroup
from svcframe.api import paging
from svcframe.api.controller import Controller, parse_json
from svcframe.db.api import Database

MAX_REASON_LENGTH = 255
LIST_PARAMETERS = ('host', 'binary', 'limit', 'marker')


class ServicesController(Controller):

    def __init__(self, conf: cfg.ConfigOpts, enforcer: oslo_policy.Enforcer,
                 database: Database) -> None:
        super().__init__(conf, enforcer)
        self.database = database

    def index(self, req: webob.Request) -> dict[str, Any]:
        self.authorize(req, 'admin_api')
        params = paging.list_parameters(req, LIST_PARAMETERS)
        limit = paging.page_limit(self.conf, params)
        marker = paging.positive_int(params, 'marker',
                                     'the id of the last service of the previous page')
        try:
            # One more than the page: whether a next page exists.
            services = self.database.service_get_all(
                host=params.get('host'), binary=params.get('binary'), limit=limit + 1,
                marker=marker)
        except exception.ServiceNotFound:
            raise webob.exc.HTTPBadRequest(
                detail='marker %d is not the id of any service record; use the id of the last '
                       'service of the previous page.' % marker) from None
        cutoff = servicegroup.up_cutoff(self.conf)
        return paging.page(req, params, 'services', services, limit,
                           lambda service: self._view(service, cutoff),
                           lambda service: service.id)

    def show(self, req: webob.Request, service_id: str) -> dict[str, Any]:
        self.authorize(req, 'admin_api')
        return {'service': self._view(self.database.service_get(_service_id(service_id)))}

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
    if not (text.isascii() and text.isdigit()):  # int() takes other scripts' digits
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
    if reason is not None:
        problem = reason_problem(reason)
        if problem:
            raise webob.exc.HTTPBadRequest(detail='"disabled_reason" %s.' % problem)
    return {'disabled': True, 'disabled_reason': reason}


def reason_problem(reason: object) -> str | None:
    """What is wrong with a disabled reason, or None; svcframe-manage holds
    ``--reason`` to the same rule.

    A reason is one line in ``service list``: no control characters (a
    newline or an ESC sequence would break the table or drive the terminal
    of the operator reading it), and at most MAX_REASON_LENGTH characters.
    """
    if not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH:
        return 'must be a string of at most %d characters' % MAX_REASON_LENGTH
    unsafe = log_text.describe_unsafe(reason)
    if unsafe:
        return ('must not hold control characters, line separators or lone surrogates; '
                'it holds %s' % unsafe)
    return None
