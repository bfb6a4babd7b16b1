"""Routers: a Routes mapper from (method, path) to controller methods.

``Router`` does the dispatch, with JSON 404 and 405 (and an Allow header);
``APIRouter`` is the /v1 API and ``VersionsRouter`` the root document. A
plugin's own API subclasses APIRouter, adds routes in ``add_routes()`` and
names its ``factory`` in its own paste file.

Every GET route answers HEAD as well: the GET's status and headers, no body.
Controllers get a ``links.APIRequest``, whose URLs are where links start.
"""

from __future__ import annotations

import http
import json
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

import oslo_messaging as messaging
import routes
import webob
import webob.exc
from oslo_config import cfg
from oslo_db import exception as db_exception
from oslo_log import log as logging
from oslo_policy import policy as oslo_policy

from svcframe import exception
from svcframe import log_text
from svcframe import rpc

from svcframe.api import errors
from svcframe.api import links
from svcframe.api import policy
from svcframe.api import urlmap
from svcframe.api import versions
from svcframe.api.controller import Controller
from svcframe.api.instances import InstancesController
from svcframe.api.quotas import QuotasController
from svcframe.api.services import ServicesController
from svcframe.db import migration
from svcframe.db.api import Database
from svcframe.rpcapi.conductor import ConductorAPI
from svcframe.wsgi import loader as wsgi_loader

LOG = logging.getLogger(__name__)

METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')
# Looked up on every response; building an HTTPStatus each time costs more.
REASONS = {status.value: status.phrase for status in http.HTTPStatus}

class Router:
    """Dispatches a request to the controller method its route names."""

    def __init__(self, conf: cfg.ConfigOpts, enforcer: oslo_policy.Enforcer) -> None:
        self.conf = conf
        self.enforcer = enforcer
        self.mapper = routes.Mapper()
        # Routes keeps route arguments as strings, so controllers are looked
        # up by a name.
        self._controllers: dict[str, Controller] = {}
        # (path, method) -> handler, for routes without variables: an exact
        # lookup costs a fraction of the mapper's walk over every route.
        self._static: dict[tuple[str, str], Callable[..., Any]] = {}
        self._variable_depths: set[int] = set()
        self._request_type = links.request_type(conf)
        self.add_routes()

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> Router:
        """The ``paste.app_factory``: built on the global, parsed CONF."""
        return cls(cfg.CONF, policy.make_enforcer(cfg.CONF))

    def add_routes(self) -> None:
        """Connect this router's routes; subclasses extend it."""

    def connect(self, path: str, controller: Controller, action: str,
                methods: tuple[str, ...]) -> None:
        """Route ``methods`` on ``path`` to ``controller.action``; GET brings HEAD."""
        if 'GET' in methods and 'HEAD' not in methods:
            methods = (*methods, 'HEAD')
        name = '%s-%d' % (type(controller).__name__, id(controller))
        self._controllers[name] = controller
        # In the mapper a route connected earlier wins. A route with a
        # variable ({id} matches one segment) could match any path of its
        # depth, so later static paths of that depth are left to the mapper.
        depth = path.strip('/').count('/')
        if '{' in path:
            self._variable_depths.add(depth)
        elif depth not in self._variable_depths:
            for method in methods:
                self._static.setdefault((path, method), getattr(controller, action))
        self.mapper.connect(None, path, controller=name, action=action,
                            conditions={'method': list(methods)})

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        req = self._request_type(environ)
        try:
            result = self._dispatch(req)
        except webob.exc.HTTPException as error:
            result = errors.from_http_exception(error)
        except exception.NotFound as error:
            result = errors.error_response(404, str(error))
        except exception.SchemaMismatch as error:
            LOG.error('%s: %s', log_text.escape('%s %s' % (req.method, req.path)), error)
            result = errors.error_response(
                503, 'The database schema cannot be used: %s.' % error.remedy)
        except (exception.DatabaseUnavailable, db_exception.DBConnectionError) as error:
            LOG.error('%s %s: %s', req.method, req.path, error)
            result = errors.error_response(
                503, 'The database is unreachable; try again later.')
        except UnicodeDecodeError:
            # webob decodes the path and the query as UTF-8 where they are read.
            if _url_is_utf8(environ):
                raise
            result = errors.error_response(
                400, 'The request path or query string is not valid UTF-8 once '
                     'percent-decoded.')
        if isinstance(result, webob.Response):
            return result(environ, start_response)  # no body for HEAD: webob sees to it
        status, document = result if isinstance(result, tuple) else (200, result)
        reason = REASONS[status]
        if document is None:
            start_response('%d %s' % (status, reason), [('Content-Length', '0')])
            return [b'']
        # Written directly rather than through webob.Response: this is every
        # API request's path (bench/http_bench.py).
        body = json.dumps(document).encode()
        start_response('%d %s' % (status, reason),
                       [('Content-Type', 'application/json'),
                        ('Content-Length', str(len(body)))])
        # HEAD: the GET's headers, Content-Length included, and no body
        # (RFC 9110 9.3.2), whichever server runs the app.
        return [] if environ['REQUEST_METHOD'] == 'HEAD' else [body]

    def _dispatch(self, req: webob.Request) -> Any:
        environ = req.environ
        # The environ's own strings: webob would decode PATH_INFO as UTF-8,
        # and a path that is not ASCII is no static path anyway.
        handler = self._static.get((environ['PATH_INFO'], environ['REQUEST_METHOD']))
        if handler is not None:
            _note_route(environ, environ['PATH_INFO'])
            return handler(req)
        if not environ['PATH_INFO'].isascii():
            # A UnicodeDecodeError here is the 400 of __call__: a route
            # variable must not reach a controller as latin-1 mojibake.
            environ['PATH_INFO'].encode('latin-1').decode('utf-8')
        match, route = self.mapper.routematch(environ=req.environ) or (None, None)
        if match is None:
            _note_route(environ, urlmap.UNMATCHED)
            allowed = self._allowed_methods(req)
            if allowed:
                raise webob.exc.HTTPMethodNotAllowed(
                    detail='%s is not allowed on %s; allowed: %s'
                    % (req.method, req.path, ', '.join(allowed)),
                    headers=[('Allow', ', '.join(allowed))])
            raise webob.exc.HTTPNotFound(detail='No resource at %s.' % req.path)
        _note_route(environ, route.routepath)
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


def _note_route(environ: dict, template: str) -> None:
    """The route template, after the URL map's prefix: the metrics' ``route``."""
    if urlmap.ROUTE_KEY in environ:
        prefix = environ[urlmap.ROUTE_KEY]
        environ[urlmap.ROUTE_KEY] = (template if template == urlmap.UNMATCHED
                                     else prefix.rstrip('/') + template)


def _url_is_utf8(environ: dict) -> bool:
    try:
        # The server hands PATH_INFO over decoded as latin-1, per PEP 3333.
        environ.get('PATH_INFO', '').encode('latin-1').decode('utf-8')
        urllib.parse.unquote_to_bytes(environ.get('QUERY_STRING', '')).decode('utf-8')
    except UnicodeError:
        return False
    return True


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
                 database: Database | None = None,
                 transport: messaging.Transport | None = None,
                 conductor: ConductorAPI | None = None) -> None:
        # Connects on the first query, in the worker that serves it.
        self.database = database or Database(conf)
        # Likewise the RPC transport: from [DEFAULT] transport_url on the
        # first cast, unless one is handed in (services in one process).
        self.transport = transport
        self._conductor = conductor
        super().__init__(conf, enforcer)

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> APIRouter:
        """The ``paste.app_factory``; refuses a database schema it cannot use.

        It runs as svcframe-api loads its app, before workers fork, and as a
        WSGI server imports svcframe.wsgi.api: SchemaMismatch then stops the
        start. A database that does not answer yet is not checked; requests
        get a 503 until it does (and one naming db sync if it is unsynced).
        """
        database = Database(cfg.CONF)
        try:
            migration.check_if_reachable(database)
        finally:
            # Reopened on the first query, in the worker that serves it: no
            # pooled connection crosses the fork.
            database.close()
        # svcframe-all hands in the transport its four services share.
        return cls(cfg.CONF, policy.make_enforcer(cfg.CONF), database=database,
                   transport=wsgi_loader.resources().transport)

    def conductor(self) -> ConductorAPI:
        if self._conductor is None:
            self.transport = self.transport or rpc.create_transport(self.conf)
            self._conductor = ConductorAPI(self.transport, self.conf)
        return self._conductor

    def add_routes(self) -> None:
        versions_controller = VersionsController(self.conf, self.enforcer)
        for path in ('', '/'):
            self.connect(path, versions_controller, 'show', ('GET', 'HEAD'))
        services = ServicesController(self.conf, self.enforcer, self.database)
        self.connect('/services', services, 'index', ('GET',))
        self.connect('/services/{service_id}', services, 'show', ('GET',))
        self.connect('/services/{service_id}', services, 'update', ('PUT',))
        self.connect('/services/{service_id}', services, 'delete', ('DELETE',))
        instances = InstancesController(self.conf, self.enforcer, self.database,
                                        self.conductor)
        self.connect('/instances', instances, 'index', ('GET',))
        self.connect('/instances', instances, 'create', ('POST',))
        self.connect('/instances/{instance_id}', instances, 'show', ('GET',))
        self.connect('/instances/{instance_id}', instances, 'delete', ('DELETE',))
        quotas = QuotasController(self.conf, self.enforcer, self.database)
        self.connect('/quotas/{project_id}', quotas, 'show', ('GET',))
        self.connect('/quotas/{project_id}', quotas, 'update', ('PUT',))
