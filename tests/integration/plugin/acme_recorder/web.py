"""A paste app and filter from outside svcframe, for svcframe-api's tests."""

import json
import os
import time


def stamp_filter_factory(global_conf, stamp='acme', **local_conf):
    """Adds an X-Acme-Stamp header to every response."""
    def make_filter(app):
        def stamped(environ, start_response):
            def start(status, headers, exc_info=None):
                return start_response(status, headers + [('X-Acme-Stamp', stamp)], exc_info)
            return app(environ, start)
        return stamped
    return make_filter


def app_factory(global_conf, **local_conf):
    """/slow answers after 200 ms, /boom raises, anything else at once."""
    def app(environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path == '/boom':
            raise RuntimeError('acme app exploded')
        if path == '/slow':
            time.sleep(0.2)
        body = json.dumps({'path': path, 'pid': os.getpid()}).encode()
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', str(len(body)))])
        return [body]
    return app
