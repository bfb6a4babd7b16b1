"""Controller: the base of every API resource, built in or from a plugin.

A controller method takes ``(self, req, **route_arguments)`` and returns a
dict (sent as JSON with status 200), a ``(status, dict)`` pair, or a webob
Response; it raises a ``webob.exc`` HTTP error for a 4xx answer, which the
fault wrapper renders as JSON.
"""

from __future__ import annotations

import json
from typing import Any

import webob
import webob.exc
from oslo_config import cfg
from oslo_policy import policy

from svcframe import context as svcframe_context
from svcframe.api import auth


def parse_json(body: bytes) -> Any:
    """The JSON document in a request body; 400 when it is not JSON."""
    try:
        return json.loads(body or b'null')
    except (ValueError, UnicodeDecodeError) as error:
        raise webob.exc.HTTPBadRequest(
            detail='The request body is not valid JSON: %s' % error) from None


class Controller:

    def __init__(self, conf: cfg.ConfigOpts, enforcer: policy.Enforcer) -> None:
        self.conf = conf
        self.enforcer = enforcer

    @staticmethod
    def context(req: webob.Request) -> svcframe_context.RequestContext:
        return req.environ[auth.CONTEXT_KEY]

    def authorize(self, req: webob.Request, rule: str,
                  target: dict[str, Any] | None = None) -> None:
        """Raise 403 unless the caller passes policy ``rule`` on ``target``."""
        context = self.context(req)
        target = target if target is not None else {'project_id': context.project_id}
        if not self.enforcer.enforce(rule, target, context.to_policy_values()):
            raise webob.exc.HTTPForbidden(
                detail='Policy %r does not allow this request.' % rule)

    @staticmethod
    def json_body(req: webob.Request, wrapper: str) -> dict[str, Any]:
        """The object under ``wrapper`` in a JSON request body, or 400."""
        document = parse_json(req.body)
        if not isinstance(document, dict) or not isinstance(document.get(wrapper), dict):
            raise webob.exc.HTTPBadRequest(
                detail='The request body must be a JSON object {"%s": {...}}.' % wrapper)
        return document[wrapper]
