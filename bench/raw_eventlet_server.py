"""The reference for bench/http_bench.py: a bare eventlet.wsgi.server, one process.

    python bench/raw_eventlet_server.py PORT

Serves a trivial WSGI app that answers every request with a small JSON body
on 127.0.0.1:PORT, from a GreenPool of 1000, until it is killed. Nothing else:
no paste pipeline, no oslo.log, no launcher, and the signals keep their
default actions (SIGTERM ends it at once). eventlet writes its access line
for every request to stderr, as it does by default.
"""

import sys
from collections.abc import Callable

BODY = b'{"status": "ok"}'
HEADERS = [('Content-Type', 'application/json'),
           ('Content-Length', str(len(BODY)))]


def app(environ: dict, start_response: Callable) -> list[bytes]:
    start_response('200 OK', HEADERS)
    return [BODY]


def main() -> None:
    port = int(sys.argv[1])
    import warnings
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import eventlet
    eventlet.monkey_patch()
    import eventlet.wsgi

    sock = eventlet.listen(('127.0.0.1', port))
    eventlet.wsgi.server(sock, app, custom_pool=eventlet.GreenPool(1000))


if __name__ == '__main__':
    main()
