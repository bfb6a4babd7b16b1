"""Routers: a Routes mapper from (method, path) to controller methods.

``Router`` does the dispatch, with JSON 404 and 405 (and an Allow header);
``APIRouter`` is the /v1 API and ``VersionsRouter`` the root document. A
plugin's own API subclasses APIRouter, adds routes in ``add_routes()`` and
names its ``factory`` in its own paste file.
"""

from __future__ import annotations

import http
import json
from collections.abc import Callable, Iterable
from typing import Any

import routes
import webob
import webob.exc
from oslo_config import cfg
from oslo_db import exception as db_exception
from oslo_log import log as logging
from oslo_policy import policy as oslo_policy

from svcframe import exception

from svcframe.api import errors
from svcframe.api import policy
from svcframe.api import versions
from svcframe.api.controller import Controller
from svcframe.api.services import ServicesController
from svcframe.db.api import Database

LOG = logging.getLogger(__name__)

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

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        req = webob.Request(environ)
        try:
            result = self._dispatch(req)
        except webob.exc.HTTPException as error:
            result = errors.from_http_exception(error)
        except exception.NotFound as error:
            result = errors.error_response(404, str(error))
        except (exception.DatabaseUnavailable, db_exception.DBConnectionError) as error:
            LOG.error('%s %s: %s', req.method, req.path, error)
            result = errors.error_response(
                503, 'The service registry is unreachable; try again later.')
        if isinstance(result, webob.Response):
            return result(environ, start_response)
        status, document = result if isinstance(result, tuple) else (200, result)
        reason = http.HTTPStatus(status).phrase
        if document is None:
            start_response('%d %s' % (status, reason), [('Content-Length', '0')])
            return [b'']
        # Written directly rather than through webob.Response: this is every
        # API request's path (bench/http_bench.py).
        body = json.dumps(document).encode()
        start_response('%d %s' % (status, reason),
                       [('Content-Type', 'application/json'),
                        ('Content-Length', str(len(body)))])
        return [body]

    def _dispatch(self, req: webob.Request) -> Any:
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
        return method(req, **match)

    def _allowed_methods(self, req: webob.Request) -> list[str]:
        allowed = []
        for method in METHODS:
            environ = dict(req.environ, REQUEST_METHOD=method)
            if self.mapper.match(environ=environ) is not None:
                allowed.append(method)
        return allowed


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

    def __init__(self, conf: cfg.ConfigOpts, enforcer: oslo_policy.Enforcer,
                 database: Database | None = None) -> None:
        # Connects on the first query, in the worker that serves it.
        self.database = database or Database(conf)
        super().__init__(conf, enforcer)

    def add_routes(self) -> None:
        versions_controller = VersionsController(self.conf, self.enforcer)
        for path in ('', '/'):
            self.connect(path, versions_controller, 'show', ('GET', 'HEAD'))
        services = ServicesController(self.conf, self.enforcer, self.database)
        self.connect('/services', services, 'index', ('GET',))
        self.connect('/services/{service_id}', services, 'update', ('PUT',))
        self.connect('/services/{service_id}', services, 'delete', ('DELETE',))
