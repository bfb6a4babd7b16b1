"""The trivial WSGI app that bench/http_bench.py serves through several servers.

Every request gets 200 with a small JSON body and its Content-Type and
Content-Length headers, and nothing else happens: what is measured is the
server. The same app runs under the raw eventlet reference
(bench/raw_eventlet_server.py), under svcframe-api through PasteDeploy
(``paste.app_factory = trivial_app:app_factory``) and under uWSGI
(``--module trivial_app:app``), with bench/ on the import path.
"""

from __future__ import annotations

from collections.abc import Callable

BODY = b'{"status": "ok"}'
HEADERS = [('Content-Type', 'application/json'),
           ('Content-Length', str(len(BODY)))]


def app(environ: dict, start_response: Callable) -> list[bytes]:
    start_response('200 OK', HEADERS)
    return [BODY]


def app_factory(global_conf: dict[str, str], **local: str) -> Callable:
    """The PasteDeploy app factory; the app takes no settings."""
    return app
