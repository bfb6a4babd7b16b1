"""Routers: a Routes mapper from (method, path) to controller methods.

``Router`` does the dispatch, with JSON 404 and 405 (and an Allow header);
``APIRouter`` is the /v1 API and ``VersionsRouter`` the root document. A
plugin's own API subclasses APIRouter, adds routes in ``add_routes()`` and
names its ``factory`` in its own paste file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import routes
import webob
import webob.dec
import webob.exc
from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from svcframe.api import errors
from svcframe.api import policy
from svcframe.api import versions
from svcframe.api.controller import Controller

METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')


class Router:
    """Dispatches a request to the controller method its route names."""

    def __init__(self, conf: cfg.ConfigOpts, enforcer: oslo_policy.Enforcer) -> None:
        self.conf = conf
        self.enforcer = enforcer
        self.mapper = routes.Mapper()
        # Routes keeps route arguments as strings, so controllers are looked
        # up by a name.
        self._controllers: dict[str, Controller] = {}
        self.add_routes()

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> Router:
        """The ``paste.app_factory``: built on the global, parsed CONF."""
        return cls(cfg.CONF, policy.make_enforcer(cfg.CONF))

    def add_routes(self) -> None:
        """Connect this router's routes; subclasses extend it."""

    def connect(self, path: str, controller: Controller, action: str,
                methods: tuple[str, ...]) -> None:
        name = '%s-%d' % (type(controller).__name__, id(controller))
        self._controllers[name] = controller
        self.mapper.connect(None, path, controller=name, action=action,
                            conditions={'method': list(methods)})

    @webob.dec.wsgify
    def __call__(self, req: webob.Request) -> webob.Response:
        try:
            return self._dispatch(req)
        except webob.exc.HTTPException as error:
            return errors.from_http_exception(error)

    def _dispatch(self, req: webob.Request) -> webob.Response:
        match = self.mapper.match(environ=req.environ)
        if match is None:
            allowed = self._allowed_methods(req)
            if allowed:
                raise webob.exc.HTTPMethodNotAllowed(
                    detail='%s is not allowed on %s; allowed: %s'
                    % (req.method, req.path, ', '.join(allowed)),
                    headers=[('Allow', ', '.join(allowed))])
            raise webob.exc.HTTPNotFound(detail='No resource at %s.' % req.path)
        controller = self._controllers[match.pop('controller')]
        method: Callable[..., Any] = getattr(controller, match.pop('action'))
        return _as_response(method(req, **match))

    def _allowed_methods(self, req: webob.Request) -> list[str]:
        allowed = []
        for method in METHODS:
            environ = dict(req.environ, REQUEST_METHOD=method)
            if self.mapper.match(environ=environ) is not None:
                allowed.append(method)
        return allowed


def _as_response(result: Any) -> webob.Response:
    if isinstance(result, webob.Response):
        return result
    status = 200
    if isinstance(result, tuple):
        status, result = result
    if result is None:
        return webob.Response(status=status)
    return webob.Response(status=status, body=json.dumps(result).encode(),
                          content_type='application/json', charset=None)


class VersionsController(Controller):

    def index(self, req: webob.Request) -> dict[str, Any]:
        return versions.versions_document(req)

    def show(self, req: webob.Request) -> dict[str, Any]:
        return {'version': versions.version_document(req)}


class VersionsRouter(Router):
    """``GET /``: the versions this API serves."""

    def add_routes(self) -> None:
        self.connect('/', VersionsController(self.conf, self.enforcer),
                     'index', ('GET', 'HEAD'))


class APIRouter(Router):
    """The /v1 API."""

    def add_routes(self) -> None:
        versions_controller = VersionsController(self.conf, self.enforcer)
        for path in ('', '/'):
            self.connect(path, versions_controller, 'show', ('GET', 'HEAD'))
