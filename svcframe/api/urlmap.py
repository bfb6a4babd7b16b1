"""URLMap: the ``[composite:api]`` that sends each request to an app by path prefix.

It does what Paste's ``egg:Paste#urlmap`` does for path keys (``/``,
``/v1``, ...), which is all svcframe's paste file uses, at a fraction of the
cost on every request: Paste's version also matches host names and ports and
normalizes every key on each call. A key Paste would read as a host name is
refused when the paste file is loaded, rather than silently never matching.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from svcframe import metrics
from svcframe.api import errors

# Where the route template of a request is put for the metrics: the prefix
# here, then the router's template (svcframe.api.router).
ROUTE_KEY = 'svcframe.route'
UNMATCHED = '(unmatched)'

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class URLMap:
    """Longest matching prefix wins; it moves from PATH_INFO to SCRIPT_NAME."""

    def __init__(self, apps: dict[str, WSGIApp]) -> None:
        # Longest first, so /v1 is tried before /.
        self.apps = sorted(((prefix.rstrip('/'), app) for prefix, app in apps.items()),
                           key=lambda item: len(item[0]), reverse=True)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if metrics.current.enabled:
            return self._measured(environ, start_response)
        return self._route(environ, start_response)

    def _route(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get('PATH_INFO', '')
        for prefix, app in self.apps:
            if path == prefix or path.startswith(prefix + '/') or not prefix:
                if prefix:
                    environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + prefix
                    environ['PATH_INFO'] = path[len(prefix):]
                environ[ROUTE_KEY] = prefix or '/'
                return app(environ, start_response)
        return errors.error_response(404, 'No resource at %s.' % path)(
            environ, start_response)

    def _measured(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """_route(), counted and timed by route template (never the raw path:
        one series per route, whatever the ids in the paths)."""
        statuses: list[str] = []

        def noting_status(status: str, headers: list, exc_info: object = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info)

        recorder = metrics.current
        recorder.http_in_flight.inc()
        started = time.monotonic()
        try:
            return self._route(environ, noting_status)
        finally:
            recorder.http_in_flight.dec()
            status = int(statuses[-1].split(' ', 1)[0]) if statuses else 500
            recorder.http_request(environ.get('REQUEST_METHOD', ''),
                                  environ.get(ROUTE_KEY, UNMATCHED), status,
                                  time.monotonic() - started)


def urlmap_factory(loader: object, global_conf: dict, **local_conf: str) -> URLMap:
    """The ``paste.composite_factory``: ``/prefix = app name`` lines."""
    apps = {}
    for prefix, app_name in local_conf.items():
        if not prefix.startswith('/'):
            raise ValueError('urlmap key %r is not a path: svcframe\'s urlmap maps '
                             'path prefixes that start with "/" only' % prefix)
        apps[prefix] = loader.get_app(app_name, global_conf=global_conf)
    return URLMap(apps)
