"""URLMap: the ``[composite:api]`` that sends each request to an app by path prefix.

It does what Paste's ``egg:Paste#urlmap`` does for path keys (``/``,
``/v1``, ...), which is all svcframe's paste file uses, at a fraction of the
cost on every request: Paste's version also matches host names and ports and
normalizes every key on each call. A key Paste would read as a host name is
refused when the paste file is loaded, rather than silently never matching.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from svcframe import http_metrics
from svcframe.api import errors

# The route template of a request, for the metrics (counted by the server,
# svcframe.wsgi.protocol): the prefix here, then the router's template.
ROUTE_KEY = http_metrics.ROUTE_KEY
UNMATCHED = http_metrics.UNMATCHED

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class URLMap:
    """Longest matching prefix wins; it moves from PATH_INFO to SCRIPT_NAME."""

    def __init__(self, apps: dict[str, WSGIApp]) -> None:
        # Longest first, so /v1 is tried before /.
        self.apps = sorted(((prefix.rstrip('/'), app) for prefix, app in apps.items()),
                           key=lambda item: len(item[0]), reverse=True)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
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


def urlmap_factory(loader: object, global_conf: dict, **local_conf: str) -> URLMap:
    """The ``paste.composite_factory``: ``/prefix = app name`` lines."""
    apps = {}
    for prefix, app_name in local_conf.items():
        if not prefix.startswith('/'):
            raise ValueError('urlmap key %r is not a path: svcframe\'s urlmap maps '
                             'path prefixes that start with "/" only' % prefix)
        apps[prefix] = loader.get_app(app_name, global_conf=global_conf)
    return URLMap(apps)
