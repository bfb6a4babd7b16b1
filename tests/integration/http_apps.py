"""Small WSGI apps that svcframe-api serves in the HTTP protocol tests.

``app_factory`` (a PasteDeploy ``paste.app_factory``) returns one app that
dispatches on the first segment of PATH_INFO: ``/echo`` and ``/echo/anything``
both reach the echo app, so tests can tell pipelined requests apart by path.
This module is imported by the svcframe-api process and by the tests, which
read the constants below to know what the apps send.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator

Environ = dict
StartResponse = Callable

STREAM_CHUNKS = [b'stream-chunk-%d;' % i for i in range(5)]
WRITE_PARTS = [b'written-1;', b'written-2;']
WRITE_RETURNED = b'returned;'
HEAD_CHECK_BODY = b'head-check body line\n' * 3
FAIL_AFTER_FIRST_CHUNK = b'first-chunk-before-failure;'
FAILURE_DETAIL = 'exploded-with-secret-detail'
ENV_KEYS = ('REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'SERVER_PROTOCOL',
            'CONTENT_LENGTH', 'CONTENT_TYPE', 'HTTP_HOST', 'HTTP_CONNECTION',
            'HTTP_TRANSFER_ENCODING', 'HTTP_EXPECT', 'HTTP_X_TRACE', 'wsgi.input_terminated',
            'wsgi.url_scheme')


def json_response(start_response: StartResponse, document: object,
                  status: str = '200 OK',
                  extra_headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(status, [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(body)))] + list(extra_headers))
    return [body]


def read_body(environ: Environ) -> bytes:
    """The whole request body, the way PEP 3333 lets an app read it."""
    stream = environ['wsgi.input']
    length = environ.get('CONTENT_LENGTH')
    if length:
        remaining = int(length)
        parts = []
        while remaining > 0:
            part = stream.read(remaining)
            if not part:
                break
            parts.append(part)
            remaining -= len(part)
        return b''.join(parts)
    if environ.get('wsgi.input_terminated'):
        return stream.read()
    return b''


def request_headers(environ: Environ) -> dict[str, str]:
    headers = {key: value for key, value in environ.items() if key.startswith('HTTP_')}
    for key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
        if environ.get(key):
            headers[key] = environ[key]
    return headers


def echo(environ: Environ, start_response: StartResponse) -> list[bytes]:
    body = read_body(environ)
    return json_response(start_response, {
        'method': environ['REQUEST_METHOD'],
        'path': environ.get('PATH_INFO', ''),
        'query': environ.get('QUERY_STRING', ''),
        'body_length': len(body),
        'body': body.decode('latin-1'),
        'headers': request_headers(environ),
    })


def read_lines(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """Reads wsgi.input to its end by ?mode= read (4 bytes at a time),
    readline, readlines or iteration, and reports the pieces it got."""
    stream = environ['wsgi.input']
    mode = environ.get('QUERY_STRING', '').partition('mode=')[2] or 'readline'
    pieces: list[bytes] = []
    if mode == 'read':
        while piece := stream.read(4):
            pieces.append(piece)
    elif mode == 'readline':
        while piece := stream.readline():
            pieces.append(piece)
    elif mode == 'readlines':
        pieces = list(stream.readlines())
    elif mode == 'iter':
        pieces = list(stream)
    else:
        return json_response(start_response, {'unknown mode': mode}, '404 Not Found')
    return json_response(start_response, {
        'mode': mode,
        'pieces': [piece.decode('latin-1') for piece in pieces],
    })


def ignore_body(environ: Environ, start_response: StartResponse) -> list[bytes]:
    return json_response(start_response, {'ignored': True,
                                          'path': environ.get('PATH_INFO', '')})


def stream(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield from STREAM_CHUNKS


def write(environ: Environ, start_response: StartResponse) -> list[bytes]:
    write_body = start_response('200 OK', [('Content-Type', 'text/plain')])
    for part in WRITE_PARTS:
        write_body(part)
    return [WRITE_RETURNED]


def fail_before(environ: Environ, start_response: StartResponse) -> list[bytes]:
    raise RuntimeError(FAILURE_DETAIL)


def fail_after(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield FAIL_AFTER_FIRST_CHUNK
    raise RuntimeError(FAILURE_DETAIL)


def head_check(environ: Environ, start_response: StartResponse) -> list[bytes]:
    # The same body for HEAD as for GET: leaving it out is the server's job.
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('Content-Length', str(len(HEAD_CHECK_BODY)))])
    return [HEAD_CHECK_BODY]


def env(environ: Environ, start_response: StartResponse) -> list[bytes]:
    return json_response(start_response, {key: environ.get(key) for key in ENV_KEYS})


class TrackedBody:
    """A response iterable that records, under its id, whether close() was called."""

    def __init__(self, registry: dict[str, bool], track_id: str) -> None:
        self.registry = registry
        self.track_id = track_id
        registry[track_id] = False

    def __iter__(self) -> Iterator[bytes]:
        yield b'tracked;'
        yield self.track_id.encode()

    def close(self) -> None:
        self.registry[self.track_id] = True


FILE_BODY = b'0123456789abcdef' * 5000  # 80 kB: more than one block


def file(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """A file through wsgi.file_wrapper, with no Content-Length."""
    start_response('200 OK', [('Content-Type', 'application/octet-stream')])
    return environ['wsgi.file_wrapper'](io.BytesIO(FILE_BODY), 32768)


def empty_stream(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return iter(())


class HttpApps:
    """The dispatching app; it holds the record of closed /track bodies."""

    def __init__(self) -> None:
        self.closed: dict[str, bool] = {}
        self.routes: dict[str, Callable] = {
            'echo': echo, 'read-lines': read_lines, 'ignore-body': ignore_body,
            'stream': stream, 'write': write, 'fail-before': fail_before,
            'fail-after': fail_after, 'head-check': head_check, 'env': env,
            'track': self.track, 'closed': self.report_closed, 'file': file,
            'empty-stream': empty_stream,
        }

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ['REQUEST_METHOD'] == 'OPTIONS':
            start_response('200 OK', [('Allow', 'GET, HEAD, POST, OPTIONS'),
                                      ('Content-Length', '0')])
            return [b'']
        segment = environ.get('PATH_INFO', '').lstrip('/').split('/', 1)[0]
        route = self.routes.get(segment)
        if route is None:
            return json_response(start_response, {'not found': environ.get('PATH_INFO')},
                                 '404 Not Found')
        return route(environ, start_response)

    @staticmethod
    def track_id(environ: Environ) -> str:
        return environ.get('QUERY_STRING', '').partition('id=')[2]

    def track(self, environ: Environ, start_response: StartResponse) -> TrackedBody:
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return TrackedBody(self.closed, self.track_id(environ))

    def report_closed(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        return json_response(start_response,
                             {'closed': self.closed.get(self.track_id(environ))})


def app_factory(global_conf: dict, **local_conf: str) -> HttpApps:
    return HttpApps()
