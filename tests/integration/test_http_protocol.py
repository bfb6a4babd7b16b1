"""svcframe-api's HTTP/1.1 server, black box: raw bytes on a socket, RFC 9112 rules.

One svcframe-api process serves the apps of http_apps.py for the whole module,
with small limits and short timeouts. Each test opens fresh connections and
reads every response until the server closes or goes quiet, so that it can
count what the server answered: a request the server should have refused must
not be followed by a second response to bytes it should never have parsed.
"""

from __future__ import annotations

import dataclasses
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration import http_apps
from tests.integration.conftest import (ROOT, ServiceProcess, ServiceRunner,
                                        wait_until)
from tests.integration.raw_http import RawConnection, Response, chunked, request

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

HEADER_TIMEOUT = 2
KEEP_ALIVE_TIMEOUT = 2
CLIENT_SOCKET_TIMEOUT = 2
MAX_REQUEST_LINE = 1024
MAX_HEADER_LINE = 1024
MAX_HEADER_SIZE = 4096
MAX_HEADER_COUNT = 20
# Long enough for any close the server owes us, keep-alive timeout included.
CLOSE_WAIT = KEEP_ALIVE_TIMEOUT + 3

HOST = b'Host: x'
CLOSE = b'Connection: close'
FOLLOW_UP = request(b'GET /echo/follow-up HTTP/1.1', HOST, CLOSE)
REQUEST_ID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


@dataclasses.dataclass
class Server:
    process: ServiceProcess
    port: int
    log_path: Path

    def log(self) -> bytes:
        return self.log_path.read_bytes() if self.log_path.exists() else b''

    def access_lines(self, token: str) -> list[bytes]:
        return [line for line in self.log().splitlines()
                if token.encode() in line and b' INFO ' in line]

    def settle(self) -> None:
        """Return once the server has logged a request sent after all earlier ones."""
        token = 'settle-%s' % uuid.uuid4().hex
        exchange(self.port, request(b'GET /echo/%s HTTP/1.1' % token.encode(), HOST, CLOSE))
        wait_until(lambda: self.access_lines(token), what='the access line of ' + token)


def server_config(log_path: Path) -> str:
    paste = Path(__file__).with_name('http_apps.ini')
    return ('[DEFAULT]\nlog_file = %s\n'
            '[api]\nport = 0\nworkers = 1\n'
            '[wsgi]\napi_paste_config = %s\nheader_timeout = %d\nkeep_alive_timeout = %d\n'
            'client_socket_timeout = %d\nmax_request_line = %d\nmax_header_line = %d\n'
            'max_header_size = %d\nmax_header_count = %d\n'
            % (log_path, paste, HEADER_TIMEOUT, KEEP_ALIVE_TIMEOUT, CLIENT_SOCKET_TIMEOUT,
               MAX_REQUEST_LINE, MAX_HEADER_LINE, MAX_HEADER_SIZE, MAX_HEADER_COUNT))


def listening_port(process: ServiceProcess, log_path: Path) -> int:
    """The port svcframe-api logged it listens on (to its log file or stdout)."""
    def logged() -> int | None:
        text = process.stdout + (log_path.read_text(errors='replace')
                                 if log_path.exists() else '')
        match = re.search(r'listening on http://[^ ]*:(\d+)', text)
        return int(match.group(1)) if match else None
    try:
        found = wait_until(lambda: logged() or (not process.running() and -1),
                           timeout=30, what='svcframe-api to listen')
    except AssertionError:
        found = None
    if not found or found < 0:
        log_tail = log_path.read_text(errors='replace')[-3000:] if log_path.exists() else ''
        pytest.fail('svcframe-api did not start (running: %s)\nstderr:\n%s\nlog:\n%s'
                    % (process.running(), process.stderr[-3000:], log_tail))
    return found


@pytest.fixture(scope='module')
def server(tmp_path_factory: pytest.TempPathFactory, plugin_site: Path) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp('http-protocol')
    (tmp_path / 'home').mkdir()
    runner = ServiceRunner(tmp_path, plugin_site)
    log_path = tmp_path / 'svcframe-api.log'
    runner.write_config(server_config(log_path))
    # The process imports tests.integration.http_apps from the repository root.
    env = runner.env(PYTHONPATH=os.pathsep.join([str(ROOT), str(plugin_site)]))
    process = runner.start('svcframe-api', env=env)
    try:
        yield Server(process, listening_port(process, log_path), log_path)
    finally:
        process.kill()


@pytest.fixture
def port(server: Server) -> int:
    return server.port


def exchange(port: int, data: bytes, methods: tuple[str, ...] = (),
             expect: int = 1) -> tuple[list[Response], bool]:
    """Send ``data`` on a fresh connection; every response, and whether the server closed."""
    with RawConnection(port) as connection:
        connection.send(data)
        responses = connection.read_responses(methods, expect=expect)
        closed = connection.wait_closed(CLOSE_WAIT)
    return responses, closed


def assert_server_rejection(response: Response, codes: tuple[int, ...]) -> dict:
    """The server's own error: JSON with a request id, and Connection: close."""
    assert response.status in codes, response
    assert (response.header('content-type') or '').split(';')[0].strip() == 'application/json'
    assert response.framing == 'content-length' and response.complete, response
    assert (response.header('connection') or '').lower() == 'close', response
    assert REQUEST_ID.match(response.header('x-openstack-request-id') or ''), response
    document = response.json()
    assert set(document) == {'error'}
    error = document['error']
    assert set(error) == {'code', 'title', 'message'}
    assert error['code'] == response.status
    assert isinstance(error['title'], str) and error['title']
    assert isinstance(error['message'], str) and error['message']
    return error


def assert_rejected(port: int, data: bytes, *codes: int) -> Response:
    """One rejection, the connection closed, and the pipelined request after it unread."""
    responses, closed = exchange(port, data + FOLLOW_UP)
    assert len(responses) == 1, responses
    assert_server_rejection(responses[0], codes)
    assert closed
    return responses[0]


def echoed(response: Response) -> dict:
    assert response.status == 200, response
    return response.json()


def assert_closed_after_response(connection: RawConnection) -> None:
    """The server closed: a request sent now is not answered."""
    connection.send(request(b'GET /echo/too-late HTTP/1.1', HOST))
    assert connection.read_responses(expect=0, linger=KEEP_ALIVE_TIMEOUT) == []
    assert connection.wait_closed(CLOSE_WAIT)


# --- Rejections ------------------------------------------------------------

@pytest.mark.parametrize('line', [
    pytest.param(b'GET HTTP/1.1', id='missing-target'),
    pytest.param(b'GET /echo', id='missing-version'),
    pytest.param(b'/echo HTTP/1.1', id='missing-method'),
    pytest.param(b'GET', id='method-only'),
    pytest.param(b'GET /echo HTTP/1.1 ', id='trailing-space'),
    pytest.param(b' GET /echo HTTP/1.1', id='leading-space'),
    pytest.param(b'GET\t/echo HTTP/1.1', id='tab-separator'),
    pytest.param(b'GET /echo /more HTTP/1.1', id='space-in-target'),
    pytest.param(b'get /echo HTTP/1.1', id='lower-case-method'),
    pytest.param(b'Get /echo HTTP/1.1', id='mixed-case-method'),
    pytest.param(b'G@T /echo HTTP/1.1', id='method-at-sign'),
    pytest.param(b'GET( /echo HTTP/1.1', id='method-parenthesis'),
    pytest.param(b'GE/T /echo HTTP/1.1', id='method-slash'),
    pytest.param(b'GE\x00T /echo HTTP/1.1', id='method-nul'),
    pytest.param(b'GET /ec\x00ho HTTP/1.1', id='target-nul'),
    pytest.param(b'GET /ec\x1bho HTTP/1.1', id='target-esc'),
    pytest.param(b'GET /ec\x7fho HTTP/1.1', id='target-del'),
    pytest.param(b'GET /ec\rho HTTP/1.1', id='target-bare-cr'),
    pytest.param(b'GARBAGE', id='garbage-word'),
    pytest.param(b'\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03', id='tls-client-hello'),
    pytest.param(bytes(range(0x80, 0xa0)), id='high-bytes'),
])
def test_malformed_request_line_is_400(port: int, line: bytes) -> None:
    assert_rejected(port, request(line, HOST), 400)


@pytest.mark.parametrize('version', [
    b'HTTP/1.1.1', b'HTTPS/1.1', b'HTTP/01.1', b'http/1.1', b'HTTP/1', b'HTTP/1.', b'HTTP/1.x',
    b'HTTP/', b'HTTP/ 1.1', b'HTTP/1.1x',
], ids=lambda version: version.decode())
def test_malformed_version_is_400(port: int, version: bytes) -> None:
    assert_rejected(port, request(b'GET /echo ' + version, HOST), 400)


@pytest.mark.parametrize('version', [b'HTTP/2.0', b'HTTP/3.0', b'HTTP/0.9'],
                         ids=lambda version: version.decode())
def test_well_formed_other_version_is_refused(port: int, version: bytes) -> None:
    assert_rejected(port, request(b'GET /echo ' + version, HOST), 400, 505)


CONTROL_CHARACTERS = [(b'\x00', 'nul'), (b'\x07', 'bel'), (b'\x1b', 'esc'), (b'\x7f', 'del'),
                      (b'\r', 'bare-cr')]


@pytest.mark.parametrize('headers', [
    *[pytest.param((HOST, b'X-Te%sst: 1' % char), id='name-' + name)
      for char, name in CONTROL_CHARACTERS],
    *[pytest.param((HOST, b'X-Test: a%sb' % char), id='value-' + name)
      for char, name in CONTROL_CHARACTERS],
    pytest.param((HOST, b'X-Test : 1'), id='space-before-colon'),
    pytest.param((HOST, b'X-Test\t: 1'), id='tab-before-colon'),
    pytest.param((b'Host : x',), id='space-before-colon-host'),
    pytest.param((HOST, b'X-Test: a', b' folded'), id='obs-fold-space'),
    pytest.param((HOST, b'X-Test: a', b'\tfolded'), id='obs-fold-tab'),
    pytest.param((b' X-Test: 1', HOST), id='whitespace-before-first-header'),
    pytest.param((HOST, b'X-Test 1'), id='no-colon'),
    pytest.param((HOST, b': 1'), id='empty-name'),
    pytest.param((HOST, b'X Test: 1'), id='space-in-name'),
    pytest.param((HOST, b'X-T\xe9st: 1'), id='non-ascii-name'),
    pytest.param((b'Host: x', b'Host: y'), id='two-hosts'),
    pytest.param((b'Host: x', b'Host: x'), id='two-equal-hosts'),
])
def test_bad_header_field_is_400(port: int, headers: tuple[bytes, ...]) -> None:
    assert_rejected(port, request(b'GET /echo HTTP/1.1', *headers), 400)


CHUNKED_HELLO = chunked(b'hello')


def post(*headers: bytes, body: bytes, version: bytes = b'HTTP/1.1') -> bytes:
    return request(b'POST /echo ' + version, HOST, *headers, body=body)


@pytest.mark.parametrize('data', [
    pytest.param(post(b'Content-Length: 5', b'Transfer-Encoding: chunked', body=CHUNKED_HELLO),
                 id='content-length-then-chunked'),
    pytest.param(post(b'Transfer-Encoding: chunked', b'Content-Length: 5', body=CHUNKED_HELLO),
                 id='chunked-then-content-length'),
    pytest.param(post(b'Content-Length : 5', body=b'hello'), id='content-length-space-colon'),
    *[pytest.param(post(b'Transfer-Encoding: ' + coding, body=CHUNKED_HELLO),
                   id='transfer-encoding-' + coding.decode().replace(' ', ''))
      for coding in (b'chunked, gzip', b'identity', b'gzip', b'deflate', b'br, chunked',
                     b'chunked, chunked', b'chunkedx', b'x-chunked')],
    pytest.param(post(b'Transfer-Encoding: chunked', b'Transfer-Encoding: chunked',
                      body=CHUNKED_HELLO), id='two-chunked-headers'),
    pytest.param(post(b'Transfer-Encoding: chunked', b'Transfer-Encoding: gzip',
                      body=CHUNKED_HELLO), id='chunked-header-then-gzip-header'),
    pytest.param(post(b'Transfer-Encoding: chunked', body=CHUNKED_HELLO, version=b'HTTP/1.0'),
                 id='http-1.0-chunked'),
    pytest.param(post(b'Transfer-Encoding: identity', body=b'', version=b'HTTP/1.0'),
                 id='http-1.0-identity'),
    pytest.param(post(b'Content-Length: 5', b'Content-Length: 5', body=b'hello'),
                 id='two-equal-content-lengths'),
    pytest.param(post(b'Content-Length: 5', b'Content-Length: 6', body=b'hello!'),
                 id='two-different-content-lengths'),
    *[pytest.param(post(b'Content-Length: ' + value, body=b'hello'),
                   id='content-length-%r' % value.decode())
      for value in (b'+5', b'5_8', b'0x10', b'-1', b'1 2', b'', b'5, 5', b'5.0', b'five')],
])
def test_ambiguous_or_bad_framing_is_400(port: int, data: bytes) -> None:
    assert_rejected(port, data, 400)


@pytest.mark.parametrize('body', [
    *[pytest.param(size + b'\r\nhello\r\n0\r\n\r\n', id='size-%r' % size.decode())
      for size in (b'0x39', b'-5', b'zz', b'', b'1' + b'0' * 16, b'f' * 17, b' 5', b'\t5')],
    pytest.param(b'5\r\nhelloXX\r\n0\r\n\r\n', id='data-longer-than-size'),
    pytest.param(b'5\r\nhello0\r\n\r\n', id='no-crlf-after-data'),
    pytest.param(b'5\r\nhello\n0\r\n\r\n', id='bare-lf-after-data'),
    pytest.param(b'5\r\nhel\r\n0\r\n\r\n', id='data-shorter-than-size'),
    *[pytest.param(b'5\r\nhello\r\n0\r\n' + trailer + b'\r\n\r\n',
                   id='trailer-' + trailer.split(b':')[0].decode().lower())
      for trailer in (b'Content-Length: 5', b'Transfer-Encoding: chunked', b'Host: x',
                      b'Authorization: Basic eDp5', b'Trailer: X-Checksum')],
])
def test_bad_chunked_body_is_400(port: int, body: bytes) -> None:
    assert_rejected(port, post(b'Transfer-Encoding: chunked', body=body), 400)


@pytest.mark.parametrize('line', [
    pytest.param(b'GET * HTTP/1.1', id='asterisk-get'),
    pytest.param(b'POST * HTTP/1.1', id='asterisk-post'),
    pytest.param(b'HEAD * HTTP/1.1', id='asterisk-head'),
    pytest.param(b'DELETE * HTTP/1.1', id='asterisk-delete'),
    pytest.param(b'GET example.com:80 HTTP/1.1', id='authority-get'),
    pytest.param(b'POST example.com:80 HTTP/1.1', id='authority-post'),
    pytest.param(b'OPTIONS example.com:80 HTTP/1.1', id='authority-options'),
])
def test_target_form_that_does_not_fit_the_method_is_400(port: int, line: bytes) -> None:
    assert_rejected(port, request(line, HOST, b'Content-Length: 0'), 400)


def test_connect_is_405(port: int) -> None:
    assert_rejected(port, request(b'CONNECT example.com:443 HTTP/1.1',
                                  b'Host: example.com:443'), 405)


@pytest.mark.parametrize('expectation', [b'200-ok', b'something-else', b'100-continue-later'],
                         ids=lambda value: value.decode())
def test_unknown_expectation_is_417(port: int, expectation: bytes) -> None:
    assert_rejected(port, post(b'Expect: ' + expectation, b'Content-Length: 5', body=b'hello'),
                    417)


def many_headers(count: int, size: int) -> list[bytes]:
    """``count`` header lines of ``size`` bytes each (name, colon, space, value)."""
    return [(b'X-H%03d: ' % i).ljust(size, b'a') for i in range(count)]


@pytest.mark.parametrize('data, code', [
    pytest.param(request(b'GET /echo/' + b'a' * MAX_REQUEST_LINE + b' HTTP/1.1', HOST), 414,
                 id='request-line'),
    pytest.param(request(b'GET /echo HTTP/1.1', HOST, *many_headers(1, MAX_HEADER_LINE + 100)),
                 431, id='one-header-line'),
    pytest.param(request(b'GET /echo HTTP/1.1', HOST, *many_headers(6, 800)), 431,
                 id='header-size-total'),
    pytest.param(request(b'GET /echo HTTP/1.1', HOST, *many_headers(MAX_HEADER_COUNT + 5, 12)),
                 431, id='header-count'),
])
def test_over_a_limit_is_414_or_431(port: int, data: bytes, code: int) -> None:
    assert_rejected(port, data, code)


@pytest.mark.parametrize('data', [
    pytest.param(request(b'GET /echo/' + b'a' * (MAX_REQUEST_LINE - 100) + b' HTTP/1.1',
                         HOST, CLOSE), id='request-line'),
    pytest.param(request(b'GET /echo HTTP/1.1', HOST, CLOSE,
                         *many_headers(1, MAX_HEADER_LINE - 100)), id='one-header-line'),
    pytest.param(request(b'GET /echo HTTP/1.1', HOST, CLOSE, *many_headers(4, 900)),
                 id='header-size-total'),
    pytest.param(request(b'GET /echo HTTP/1.1', HOST, CLOSE,
                         *many_headers(MAX_HEADER_COUNT - 3, 12)), id='header-count'),
])
def test_just_within_the_limits_is_served(port: int, data: bytes) -> None:
    responses, _ = exchange(port, data)
    assert [response.status for response in responses] == [200], responses


# --- Time limits -----------------------------------------------------------

def test_a_slow_request_head_gets_408_and_is_closed(port: int) -> None:
    head = request(b'GET /echo HTTP/1.1', HOST, b'X-Slow: ' + b'a' * 100)
    # One byte every 0.5 s never lets a read time out: only a deadline for
    # the whole head (2 s here, against 65 s to send it) ends it.
    with RawConnection(port) as connection:
        for byte in head:
            if not connection.send(bytes([byte])) or connection.readable(0.5):
                break
        responses = connection.read_responses()
        assert connection.wait_closed(CLOSE_WAIT)
    assert len(responses) == 1, responses
    assert_server_rejection(responses[0], (408,))


def test_an_idle_keep_alive_connection_is_closed(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(request(b'GET /echo/idle HTTP/1.1', HOST))
        assert echoed(connection.read_response())['path'] == '/echo/idle'
        assert connection.wait_closed(KEEP_ALIVE_TIMEOUT + 5)
        assert connection.buffer == b''


def test_a_body_that_stops_coming_ends_in_a_close(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(post(b'Content-Length: 10', body=b'12345'))
        responses = connection.read_responses(expect=0, linger=CLIENT_SOCKET_TIMEOUT + 5)
        assert connection.wait_closed(CLIENT_SOCKET_TIMEOUT + 5)
    assert [response.status for response in responses] in ([], [408]), responses


# --- Connections -----------------------------------------------------------

def test_keep_alive_serves_two_requests_on_one_connection(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(request(b'GET /echo/first HTTP/1.1', HOST))
        first = connection.read_response()
        connection.send(request(b'GET /echo/second HTTP/1.1', HOST, CLOSE))
        second = connection.read_response()
    assert echoed(first)['path'] == '/echo/first'
    assert (first.header('connection') or '').lower() != 'close'
    assert echoed(second)['path'] == '/echo/second'


def test_http_1_0_without_keep_alive_is_closed_after_its_response(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(b'GET /echo/old HTTP/1.0\r\n\r\n')
        response = connection.read_response()
        assert echoed(response)['path'] == '/echo/old'
        assert (response.header('connection') or 'close').lower() == 'close'
        assert_closed_after_response(connection)


def test_http_1_0_with_keep_alive_stays_open(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(b'GET /echo/one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
        first = connection.read_response()
        connection.send(b'GET /echo/two HTTP/1.0\r\n\r\n')
        second = connection.read_response()
        assert echoed(first)['path'] == '/echo/one'
        assert (first.header('connection') or '').lower() == 'keep-alive'
        assert echoed(second)['path'] == '/echo/two'
        assert_closed_after_response(connection)


def test_connection_close_on_http_1_1_closes_after_the_response(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(request(b'GET /echo/last HTTP/1.1', HOST, CLOSE))
        response = connection.read_response()
        assert echoed(response)['path'] == '/echo/last'
        assert (response.header('connection') or '').lower() == 'close'
        assert_closed_after_response(connection)


def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    responses, closed = exchange(port, (
        request(b'GET /echo/one HTTP/1.1', HOST) +
        request(b'POST /echo/two HTTP/1.1', HOST, b'Content-Length: 3', body=b'abc') +
        request(b'GET /echo/three?n=3 HTTP/1.1', HOST, CLOSE)), expect=3)
    documents = [echoed(response) for response in responses]
    assert [document['path'] for document in documents] == ['/echo/one', '/echo/two',
                                                             '/echo/three']
    assert documents[1]['body'] == 'abc'
    assert documents[2]['query'] == 'n=3'
    assert closed


def test_absolute_form_target_is_served(port: int) -> None:
    responses, _ = exchange(port, request(b'GET http://example.com/echo?x=1 HTTP/1.1',
                                          b'Host: example.com', CLOSE))
    assert len(responses) == 1
    document = echoed(responses[0])
    assert (document['path'], document['query']) == ('/echo', 'x=1')


@pytest.mark.parametrize('data', [
    pytest.param(request(b'GET /echo HTTP/1.1', CLOSE), id='no-host'),
    pytest.param(post(b'Transfer-Encoding: gzip, chunked', CLOSE, body=CHUNKED_HELLO),
                 id='gzip-then-chunked'),
    pytest.param(post(b'Transfer-Encoding: identity', b'Transfer-Encoding: chunked', CLOSE,
                      body=CHUNKED_HELLO), id='identity-header-then-chunked-header'),
    pytest.param(post(b'Transfer-Encoding: chunked', CLOSE,
                      body=b'5\r\nhello\r\n0\r\nContent-Type: text/plain\r\n\r\n'),
                 id='content-type-trailer'),
])
def test_what_is_framed_without_doubt_is_served(port: int, data: bytes) -> None:
    responses, _ = exchange(port, data)
    assert len(responses) == 1
    echoed(responses[0])


def test_a_raw_utf8_target_is_read_as_if_percent_encoded(port: int) -> None:
    responses, _ = exchange(port, request('GET /echo/caf\u00e9?q=\u00e0 HTTP/1.1'.encode(),
                                          HOST, CLOSE))
    document = echoed(responses[0])
    # PEP 3333: PATH_INFO holds the bytes decoded as latin-1.
    assert (document['path'], document['query']) == (
        '/echo/caf\u00e9'.encode().decode('latin-1'), 'q=%C3%A0')


def test_options_asterisk_is_left_to_the_app(port: int) -> None:
    responses, _ = exchange(port, request(b'OPTIONS * HTTP/1.1', HOST, CLOSE))
    assert len(responses) == 1
    assert responses[0].status != 400 and responses[0].status < 500, responses[0]


# --- Request bodies --------------------------------------------------------

@pytest.mark.parametrize('body, expected', [
    pytest.param(chunked(b'hello', b' world'), b'hello world', id='two-chunks'),
    pytest.param(b'5;name=value\r\nhello\r\n0\r\n\r\n', b'hello', id='extension'),
    pytest.param(b'5;name="a value"\r\nhello\r\n0\r\n\r\n', b'hello', id='quoted-extension'),
    pytest.param(b'5;flag\r\nhello\r\n0;last=1\r\n\r\n', b'hello', id='extension-no-value'),
    pytest.param(b'A\r\n0123456789\r\n0\r\n\r\n', b'0123456789', id='upper-case-size'),
    pytest.param(b'005\r\nhello\r\n000\r\n\r\n', b'hello', id='leading-zeros'),
    pytest.param(chunked(b'hello', trailers=(b'X-Checksum: abc',)), b'hello', id='trailer'),
    pytest.param(chunked(b'hello', trailers=(b'X-Checksum: abc', b'X-Other: 1')), b'hello',
                 id='two-trailers'),
    pytest.param(chunked(*[bytes([c]) for c in b'one byte each']), b'one byte each',
                 id='one-byte-chunks'),
    pytest.param(chunked(b'\r\n0\r\n\r\n'), b'\r\n0\r\n\r\n', id='data-like-a-last-chunk'),
    pytest.param(chunked(), b'', id='empty'),
])
def test_chunked_body_is_read_whole_and_the_next_request_answered(
        port: int, body: bytes, expected: bytes) -> None:
    responses, _ = exchange(port, post(b'Transfer-Encoding: chunked', body=body) +
                            FOLLOW_UP, expect=2)
    assert len(responses) == 2, responses
    document = echoed(responses[0])
    assert document['body'].encode('latin-1') == expected
    assert document['body_length'] == len(expected)
    assert echoed(responses[1])['path'] == '/echo/follow-up'


SMUGGLED = request(b'GET /echo/smuggled HTTP/1.1', HOST)


@pytest.mark.parametrize('framing, body', [
    pytest.param(b'Content-Length: %d' % len(SMUGGLED), SMUGGLED, id='content-length'),
    pytest.param(b'Transfer-Encoding: chunked', chunked(SMUGGLED), id='chunked'),
    pytest.param(b'Content-Length: 200000', b'x' * 200000, id='large-content-length'),
    pytest.param(b'Transfer-Encoding: chunked', chunked(*[b'x' * 4000] * 50),
                 id='large-chunked'),
])
def test_a_body_the_app_did_not_read_is_never_a_request(
        port: int, framing: bytes, body: bytes) -> None:
    data = request(b'POST /ignore-body HTTP/1.1', HOST, framing, body=body) + FOLLOW_UP
    responses, _ = exchange(port, data, expect=2)
    assert 1 <= len(responses) <= 2, responses
    assert responses[0].json() == {'ignored': True, 'path': '/ignore-body'}
    assert [r.status for r in responses] in ([200], [200, 200]), responses
    if len(responses) == 2:
        assert echoed(responses[1])['path'] == '/echo/follow-up'


def test_100_continue_is_sent_when_the_app_reads_the_body(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(request(b'POST /echo HTTP/1.1', HOST, CLOSE, b'Expect: 100-continue',
                                b'Content-Length: 5'))
        interim = connection.read_response()
        assert interim is not None and interim.status == 100, interim
        connection.send(b'hello')
        final = connection.read_response()
    assert echoed(final)['body'] == 'hello'


def test_100_continue_is_not_sent_when_the_app_does_not_read(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(request(b'POST /ignore-body HTTP/1.1', HOST, CLOSE,
                                b'Expect: 100-continue', b'Content-Length: 5'))
        responses = connection.read_responses(expect=1)
    assert [response.status for response in responses] == [200], responses


def test_expect_100_continue_with_the_body_sent_at_once(port: int) -> None:
    responses, _ = exchange(port, post(b'Expect: 100-continue', b'Content-Length: 5',
                                       body=b'hello') + FOLLOW_UP, expect=2)
    finals = [response for response in responses if response.status != 100]
    assert [response.status for response in finals] == [200, 200], responses
    assert echoed(finals[0])['body'] == 'hello'
    assert echoed(finals[1])['path'] == '/echo/follow-up'


LINES_BODY = b'first line\nsecond\n\nlast without newline'


@pytest.mark.parametrize('mode', ['read', 'readline', 'readlines', 'iter'])
@pytest.mark.parametrize('framing', ['content-length', 'chunked'])
def test_wsgi_input_gives_exactly_the_body(port: int, mode: str, framing: str) -> None:
    if framing == 'chunked':
        pieces = [LINES_BODY[i:i + 7] for i in range(0, len(LINES_BODY), 7)]
        headers, body = b'Transfer-Encoding: chunked', chunked(*pieces)
    else:
        headers, body = b'Content-Length: %d' % len(LINES_BODY), LINES_BODY
    responses, _ = exchange(port, request(b'POST /read-lines?mode=%s HTTP/1.1' % mode.encode(),
                                          HOST, CLOSE, headers, body=body))
    assert len(responses) == 1, responses
    got = [piece.encode('latin-1') for piece in echoed(responses[0])['pieces']]
    assert b''.join(got) == LINES_BODY
    if mode == 'read':
        assert all(0 < len(piece) <= 4 for piece in got), got
    else:
        assert got == LINES_BODY.splitlines(keepends=True)


@pytest.mark.parametrize('data, expected', [
    pytest.param(request(b'GET /env/a%20b?x=1&y=%20 HTTP/1.1', b'Host: example.org:8080', CLOSE),
                 {'REQUEST_METHOD': 'GET', 'SCRIPT_NAME': '', 'PATH_INFO': '/env/a b',
                  'QUERY_STRING': 'x=1&y=%20', 'SERVER_PROTOCOL': 'HTTP/1.1',
                  'HTTP_HOST': 'example.org:8080', 'wsgi.url_scheme': 'http'},
                 id='get'),
    pytest.param(request(b'POST /env HTTP/1.1', HOST, CLOSE, b'Content-Length: 5',
                         b'Content-Type: text/plain', body=b'hello'),
                 {'REQUEST_METHOD': 'POST', 'CONTENT_LENGTH': '5', 'CONTENT_TYPE': 'text/plain',
                  'QUERY_STRING': ''}, id='post-content-length'),
    pytest.param(request(b'POST /env HTTP/1.1', HOST, CLOSE, b'Transfer-Encoding: chunked',
                         body=CHUNKED_HELLO),
                 {'REQUEST_METHOD': 'POST', 'wsgi.input_terminated': True}, id='post-chunked'),
    pytest.param(b'GET /env HTTP/1.0\r\n\r\n', {'SERVER_PROTOCOL': 'HTTP/1.0'}, id='http-1.0'),
    pytest.param(request(b'GET http://api.example:8774/env?q=1 HTTP/1.1', b'Host: other', CLOSE),
                 {'PATH_INFO': '/env', 'QUERY_STRING': 'q=1', 'HTTP_HOST': 'api.example:8774'},
                 id='absolute-form-authority-over-host'),
    pytest.param(request(b'GET /env HTTP/1.1', HOST, CLOSE, b'X-Trace: a', b'X-Trace: b'),
                 {'HTTP_X_TRACE': 'a,b'}, id='repeated-field-joined'),
])
def test_environ_carries_the_request(port: int, data: bytes, expected: dict) -> None:
    responses, _ = exchange(port, data)
    assert len(responses) == 1, responses
    environ = echoed(responses[0])
    assert {key: environ[key] for key in expected} == expected
    if b'chunked' in data:
        assert environ['CONTENT_LENGTH'] in (None, '')


# --- Responses -------------------------------------------------------------

def test_head_has_the_get_content_length_and_no_body(port: int) -> None:
    responses, closed = exchange(port, (request(b'HEAD /head-check HTTP/1.1', HOST) +
                                        request(b'GET /head-check HTTP/1.1', HOST, CLOSE)),
                                 methods=('HEAD', 'GET'), expect=2)
    assert [response.status for response in responses] == [200, 200], responses
    head, get = responses
    assert head.body == b''
    assert head.header('content-length') == get.header('content-length') == str(
        len(http_apps.HEAD_CHECK_BODY))
    assert get.body == http_apps.HEAD_CHECK_BODY
    assert closed


def test_stream_on_http_1_1_is_chunked(port: int) -> None:
    responses, _ = exchange(port, request(b'GET /stream HTTP/1.1', HOST, CLOSE))
    assert len(responses) == 1, responses
    response = responses[0]
    assert response.status == 200
    assert response.framing == 'chunked' and response.complete, response
    assert response.header('content-length') is None
    assert response.body == b''.join(http_apps.STREAM_CHUNKS)


def test_stream_on_http_1_0_is_delimited_by_the_close(port: int) -> None:
    responses, closed = exchange(port, b'GET /stream HTTP/1.0\r\n\r\n')
    assert len(responses) == 1, responses
    response = responses[0]
    assert response.status == 200
    assert response.header('transfer-encoding') is None
    assert response.body == b''.join(http_apps.STREAM_CHUNKS)
    assert closed


def test_write_callable_sends_its_data_before_the_iterable(port: int) -> None:
    responses, _ = exchange(port, request(b'GET /write HTTP/1.1', HOST, CLOSE))
    assert len(responses) == 1, responses
    assert responses[0].status == 200 and responses[0].complete, responses[0]
    assert responses[0].body == b''.join(http_apps.WRITE_PARTS) + http_apps.WRITE_RETURNED


def test_file_wrapper_sends_the_whole_file_and_keeps_the_connection(port: int) -> None:
    responses, _ = exchange(port, request(b'GET /file HTTP/1.1', HOST) + FOLLOW_UP, expect=2)
    assert len(responses) == 2, responses
    assert responses[0].body == http_apps.FILE_BODY
    assert echoed(responses[1])['path'] == '/echo/follow-up'


def test_an_empty_stream_is_an_empty_body_on_a_kept_connection(port: int) -> None:
    responses, _ = exchange(port, request(b'GET /empty-stream HTTP/1.1', HOST) + FOLLOW_UP,
                            expect=2)
    assert [(r.status, r.body) for r in responses[:1]] == [(200, b'')]
    assert echoed(responses[1])['path'] == '/echo/follow-up'


def test_close_is_called_on_the_response_iterable(port: int) -> None:
    track_id = uuid.uuid4().hex.encode()
    with RawConnection(port) as connection:
        connection.send(request(b'GET /track?id=%s HTTP/1.1' % track_id, HOST))
        tracked = connection.read_response()
        connection.send(request(b'GET /closed?id=%s HTTP/1.1' % track_id, HOST, CLOSE))
        report = connection.read_response()
    assert tracked.status == 200 and tracked.body == b'tracked;' + track_id
    assert echoed(report) == {'closed': True}


def test_an_app_failing_before_start_response_gets_a_json_500(server: Server) -> None:
    responses, _ = exchange(server.port, request(b'GET /fail-before HTTP/1.1', HOST, CLOSE))
    assert len(responses) == 1, responses
    response = responses[0]
    assert response.status == 500
    error = response.json()['error']
    assert set(error) == {'code', 'title', 'message'} and error['code'] == 500
    assert b'Traceback' not in response.body
    assert http_apps.FAILURE_DETAIL.encode() not in response.body
    responses, _ = exchange(server.port, request(b'GET /echo/after HTTP/1.1', HOST, CLOSE))
    assert echoed(responses[0])['path'] == '/echo/after'


def test_an_app_failing_mid_body_aborts_the_response(port: int) -> None:
    with RawConnection(port) as connection:
        connection.send(request(b'GET /fail-after HTTP/1.1', HOST))
        responses = connection.read_responses()
        assert connection.wait_closed(CLOSE_WAIT)
    assert len(responses) == 1, responses
    response = responses[0]
    assert response.status == 200
    assert response.body == http_apps.FAIL_AFTER_FIRST_CHUNK
    assert not response.complete, response


# --- Access log ------------------------------------------------------------

def token_target(prefix: bytes, token: str) -> bytes:
    return prefix + b'/echo/' + token.encode()


@pytest.mark.parametrize('build, status', [
    pytest.param(lambda t: request(token_target(b'GET ', t) + b' HTTP/1.1', HOST, CLOSE), 200,
                 id='answered'),
    pytest.param(lambda t: request(b'GET /fail-before/' + t.encode() + b' HTTP/1.1', HOST,
                                   CLOSE), 500, id='app-failure'),
    pytest.param(lambda t: request(token_target(b'GET ', t) + b' HTTP/1.1', HOST, b'Host: y'),
                 400, id='rejected-two-hosts'),
    pytest.param(lambda t: request(token_target(b'GET ', t) + b' HTTP/1.1', HOST,
                                   *many_headers(MAX_HEADER_COUNT + 5, 12)), 431,
                 id='rejected-header-count'),
    pytest.param(lambda t: request(token_target(b'POST ', t) + b' HTTP/1.1', HOST,
                                   b'Transfer-Encoding: chunked', body=b'zz\r\nhello\r\n'),
                 400, id='rejected-chunk-size'),
])
def test_each_request_writes_one_access_line(server: Server, build: Callable[[str], bytes],
                                             status: int) -> None:
    token = 'log-%s' % uuid.uuid4().hex
    responses, _ = exchange(server.port, build(token))
    assert [response.status for response in responses] == [status], responses
    server.settle()
    assert len(server.access_lines(token)) == 1, server.access_lines(token)


@pytest.mark.parametrize('build, control, valid_line', [
    pytest.param(lambda t: request(b'GET /echo/' + t.encode() + b'\x1b[31m HTTP/1.1', HOST),
                 b'\x1b', False, id='esc-in-target'),
    pytest.param(lambda t: request(b'GET /echo/' + t.encode() + b' HTTP/1.1', HOST,
                                   b'User-Agent: \x1b[2J\x1b[31mred'), b'\x1b', True,
                 id='esc-in-header-value'),
    pytest.param(lambda t: request(b'GET /echo/' + t.encode() + b' HTTP/1.1', HOST,
                                   b'X-Be\x07ll: 1'), b'\x07', True, id='bel-in-header-name'),
])
def test_rejected_control_characters_do_not_reach_the_log(
        server: Server, build: Callable[[str], bytes], control: bytes,
        valid_line: bool) -> None:
    token = 'ctl-%s' % uuid.uuid4().hex
    assert_rejected(server.port, build(token), 400)
    server.settle()
    assert control not in server.log()
    if valid_line:  # a target the server refused need not be logged
        assert len(server.access_lines(token)) == 1, server.access_lines(token)
