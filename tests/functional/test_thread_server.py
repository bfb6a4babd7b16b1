"""The threaded server's own mechanics: a poller for idle connections, a pool of workers.

Native threads and plain sockets only: this module runs the server as a
process on SVCFRAME_BACKEND=threading does (an unpatched process is on
threads, svcframe.backend.current()).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from svcframe import backend
from svcframe.testing.configuration import make_conf
from svcframe.wsgi import server as wsgi_server

ROOT = Path(__file__).resolve().parents[2]
# Long enough never to end a test by itself; the client sockets' own timeout.
PATIENCE = 20.0


class App:
    """Answers with the client's port, the connection's identity; /slow waits for ``release``."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.slow_started = threading.Event()

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        if environ['PATH_INFO'] == '/slow':
            self.slow_started.set()
            self.release.wait(PATIENCE)
        body = environ['REMOTE_PORT'].encode()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [body]


@pytest.fixture
def app() -> Iterator[App]:
    app = App()
    yield app
    app.release.set()


@pytest.fixture
def start(tmp_path: Path, app: App) -> Iterator[Callable[..., wsgi_server.WSGIServer]]:
    """start(**wsgi_options): a threaded server of ``app`` on a free port; stopped after."""
    assert backend.current() == backend.THREADING
    servers = []

    def start(**options: object) -> wsgi_server.WSGIServer:
        conf = make_conf(tmp_path / 'state', {'wsgi': dict({'access_log': False}, **options)})
        server = wsgi_server.WSGIServer('test', app, '127.0.0.1', 0,
                                        wsgi_server.ServerSettings.from_conf(conf))
        server.start()
        servers.append(server)
        return server

    yield start
    app.release.set()
    for server in servers:
        server.stop()


class Client:
    """One keep-alive connection, read response by response."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=PATIENCE)
        self.file = self.sock.makefile('rb')

    def get(self, path: str = '/') -> tuple[str, dict[str, str], bytes]:
        self.sock.sendall(b'GET %s HTTP/1.1\r\nHost: x\r\n\r\n' % path.encode())
        return self.response()

    def response(self) -> tuple[str, dict[str, str], bytes]:
        """The status line, the headers (lowercase names) and the body; ('', {}, b'') at EOF."""
        status = self.file.readline().decode()
        if not status:
            return '', {}, b''
        headers = {}
        while (line := self.file.readline()) not in (b'\r\n', b''):
            name, _, value = line.decode().partition(':')
            headers[name.strip().lower()] = value.strip()
        return status.strip(), headers, self.file.read(int(headers['content-length']))

    def closed_by_server(self) -> bool:
        """Whether the server closed this connection (waits for it)."""
        return self.sock.recv(1) == b''

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def test_an_idle_connection_holds_no_thread_and_is_served_again(start) -> None:
    server = start(threads=1)
    first, second = Client(server.port), Client(server.port)

    # One thread: each answer needs the other connection, idle but open, to have let it go.
    answers = [first.get(), second.get(), first.get(), second.get()]

    assert [status for status, _, _ in answers] == ['HTTP/1.1 200 OK'] * 4
    ports = [body for _, _, body in answers]
    assert ports[0] == ports[2] != ports[1] == ports[3]  # the same two connections, kept
    first.close()
    second.close()


def test_pipelined_requests_are_answered_in_order_across_idle_returns(start) -> None:
    server = start(threads=1)
    client = Client(server.port)
    client.sock.sendall(b'GET /a HTTP/1.1\r\nHost: x\r\n\r\n' * 3 + b'GET /b HTTP/1.1\r\nHo')

    answers = [client.response() for _ in range(3)]
    client.sock.sendall(b'st: x\r\n\r\n')  # the rest of a head begun before the connection idled
    answers.append(client.response())

    assert [status for status, _, _ in answers] == ['HTTP/1.1 200 OK'] * 4
    client.close()


def test_a_request_blocked_in_the_app_does_not_hold_up_the_others(start, app) -> None:
    server = start(threads=2)
    slow = Client(server.port)
    slow.sock.sendall(b'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
    assert app.slow_started.wait(PATIENCE)
    other = Client(server.port)

    assert other.get()[0] == 'HTTP/1.1 200 OK'  # on the second thread, woken for it
    app.release.set()
    assert slow.response()[0] == 'HTTP/1.1 200 OK'
    slow.close()
    other.close()


def test_no_more_connections_than_the_pool_size_are_taken(start) -> None:
    server = start(default_pool_size=2, threads=4)
    held = [Client(server.port), Client(server.port)]
    for client in held:
        assert client.get()[0] == 'HTTP/1.1 200 OK'
    waiting = Client(server.port)  # queued by the kernel, not accepted
    waiting.sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')

    serving = server._serving
    assert len(serving._connections) == 2 and not serving._accepting
    held[0].close()

    assert waiting.response()[0] == 'HTTP/1.1 200 OK'
    held[1].close()
    waiting.close()


def test_an_idle_keep_alive_connection_is_closed_after_keep_alive_timeout(start) -> None:
    server = start(keep_alive_timeout=1)
    client = Client(server.port)

    assert client.get()[0] == 'HTTP/1.1 200 OK'
    assert client.closed_by_server()
    client.close()


def test_a_connection_that_never_sends_is_closed_after_header_timeout(start) -> None:
    server = start(header_timeout=1)
    client = Client(server.port)

    assert client.closed_by_server()
    client.close()


def test_stop_answers_every_request_it_took_and_closes_every_connection(start, app) -> None:
    server = start(threads=4)
    slow = Client(server.port)
    slow.sock.sendall(b'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
    assert app.slow_started.wait(PATIENCE)
    results: list[list[str]] = []

    def keep_asking(client: Client) -> None:
        """Requests back to back until the server says close: every one answered."""
        statuses = []
        while True:
            status, headers, _ = client.get()
            statuses.append(status)
            if status != 'HTTP/1.1 200 OK' or headers.get('connection') == 'close':
                break
        results.append(statuses)
        client.close()

    busy = [threading.Thread(target=keep_asking, args=(Client(server.port),))
            for _ in range(8)]
    idle = Client(server.port)
    assert idle.get()[0] == 'HTTP/1.1 200 OK'
    for thread in busy:
        thread.start()
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    while server.policy.keep_alive:  # the drain began: the slow answer will say close
        stopping.join(0.01)
    app.release.set()

    status, headers, _ = slow.response()
    assert (status, headers['connection']) == ('HTTP/1.1 200 OK', 'close')
    assert idle.closed_by_server()
    for thread in busy:
        thread.join(PATIENCE)
    stopping.join(PATIENCE)
    assert not stopping.is_alive()
    assert len(results) == 8
    assert all(set(statuses) == {'HTTP/1.1 200 OK'} for statuses in results)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(('127.0.0.1', server.port), timeout=PATIENCE)
    slow.close()
    idle.close()


def test_a_threading_process_serves_without_importing_eventlet(tmp_path: Path) -> None:
    script = '''
import sys, urllib.request
from svcframe import backend
backend.setup('test')  # SVCFRAME_BACKEND=threading: eventlet kept out
from oslo_config import cfg
from svcframe.conf import wsgi as wsgi_conf
from svcframe.wsgi import server as wsgi_server

def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'threads']

conf = cfg.ConfigOpts()
wsgi_conf.register_opts(conf)
conf([], default_config_files=[], default_config_dirs=[])
conf.set_override('access_log', False, group='wsgi')
server = wsgi_server.WSGIServer('test', app, '127.0.0.1', 0,
                                wsgi_server.ServerSettings.from_conf(conf))
server.start()
print(urllib.request.urlopen(server.url + '/', timeout=20).read().decode())
server.stop()
print(sorted(name for name, module in sys.modules.items()
             if name.startswith('eventlet') and module is not None))
'''
    env = dict(os.environ, SVCFRAME_BACKEND='threading', PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [path for path in os.environ.get('PYTHONPATH', '').split(os.pathsep)
                       if path]))
    done = subprocess.run([sys.executable, '-c', script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split('\n')[:2] == ['threads', '[]']
