"""The HTTP metrics as svcframe's server counts them: a real WSGIServer in this process.

On both backends (tests/functional/backends.py): green threads in this
thread's hub, and a poller with native worker threads.

Every request the server answers is counted once, with the status and the
time of its access line, by the route template the app noted: those the app
answers, those it fails and those the server refuses before any app runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import eventlet
import prometheus_client as prom
import pytest
from eventlet.green import socket
from oslo_config import cfg

from svcframe import metrics
from svcframe.api import urlmap
from svcframe.api.router import Router
from svcframe.testing.configuration import make_conf
from svcframe.wsgi import server as wsgi_server
from tests.functional import backends

REQUESTS = 'svcframe_http_requests_total'


class Things(Router):
    release: backends.Gate

    def add_routes(self) -> None:
        controller = type('C', (), {
            'show': lambda self, req, thing_id: {'id': thing_id},
            'index': lambda self, req: {'things': []},
            'broken': lambda self, req: 1 / 0,
            'slow': lambda self, req: Things.release.wait() or {},
        })()
        self.connect('/things', controller, 'index', ('GET',))
        self.connect('/things/{thing_id}', controller, 'show', ('GET',))
        self.connect('/broken', controller, 'broken', ('GET',))
        self.connect('/slow', controller, 'slow', ('GET',))


@pytest.fixture(params=backends.NAMES)
def served(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[int, prom.CollectorRegistry]]:
    """A server on a free port with metrics on, on each backend; its port and registry."""
    backends.use(request.param, monkeypatch)
    conf: cfg.ConfigOpts = make_conf(tmp_path / 'state', {'wsgi': {'access_log': False}})
    registry = prom.CollectorRegistry()
    monkeypatch.setattr(metrics, 'current', metrics.Recorder('svcframe-api', '1',
                                                              registry=registry))
    Things.release = backends.Gate(request.param)
    server = wsgi_server.WSGIServer(
        'test', urlmap.URLMap({'/v1': Things(conf, None)}), '127.0.0.1', 0,
        wsgi_server.ServerSettings.from_conf(conf))
    server.start()
    try:
        yield server.port, registry
    finally:
        Things.release.open()
        server.stop()


def exchange(port: int, request: bytes) -> bytes:
    """Send one request on a connection of its own; the status line of the answer.

    Read to the end: the server counts a request before it closes the connection.
    """
    client = socket.create_connection(('127.0.0.1', port))
    try:
        client.sendall(request)
        answer = client.makefile('rb')
        status = answer.readline()
        answer.read()
        return status
    finally:
        client.close()


def get(port: int, path: str) -> bytes:
    return exchange(port, b'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
                    % path.encode())


def count(registry: prom.CollectorRegistry, **labels: str) -> float | None:
    return registry.get_sample_value(REQUESTS, labels)


def test_requests_are_counted_by_route_template_never_by_raw_path(served) -> None:
    port, registry = served

    for path in ('/v1/things', '/v1/things/a1', '/v1/things/b2', '/v1/nothing', '/elsewhere'):
        get(port, path)

    assert count(registry, method='GET', route='/v1/things', status='200') == 1
    assert count(registry, method='GET', route='/v1/things/{thing_id}', status='200') == 2
    assert count(registry, method='GET', route='(unmatched)', status='404') == 2
    assert registry.get_sample_value('svcframe_http_request_duration_seconds_count',
                                     {'method': 'GET', 'route': '/v1/things/{thing_id}'}) == 2


def test_a_failing_app_and_a_refused_request_are_counted_too(served) -> None:
    port, registry = served

    assert get(port, '/v1/broken').startswith(b'HTTP/1.1 500')
    assert exchange(port, b'GET /v1/things HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n'
                    ).startswith(b'HTTP/1.1 400')

    assert count(registry, method='GET', route='/v1/broken', status='500') == 1
    assert count(registry, method='GET', route='(unmatched)', status='400') == 1


def test_a_request_being_answered_is_in_flight(served) -> None:
    port, registry = served
    in_flight = 'svcframe_http_requests_in_flight'
    waiting = eventlet.spawn(get, port, '/v1/slow')
    for _ in range(100):
        eventlet.sleep(0.01)
        if registry.get_sample_value(in_flight) == 1:
            break

    assert registry.get_sample_value(in_flight) == 1
    Things.release.open()
    assert waiting.wait().startswith(b'HTTP/1.1 200')
    assert registry.get_sample_value(in_flight) == 0
    assert count(registry, method='GET', route='/v1/slow', status='200') == 1
