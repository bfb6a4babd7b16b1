"""The reference for bench/http_bench.py: a bare eventlet.wsgi.server, one process.

    python bench/raw_eventlet_server.py PORT

Serves the trivial WSGI app of bench/trivial_app.py (a small JSON body for
every request) on 127.0.0.1:PORT, from a GreenPool of 1000, until it is
killed. Nothing else: no paste pipeline, no oslo.log, no launcher, and the
signals keep their default actions (SIGTERM ends it at once). eventlet writes
its access line for every request to stderr, as it does by default.
"""

import sys

# This file's directory is first on sys.path when it runs as a script.
from trivial_app import app


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
