"""svcframe.wsgi.sockets on a real socket pair, in green threads of this thread's hub."""

from __future__ import annotations

import eventlet
import pytest
from eventlet.green import socket

from svcframe.wsgi import sockets


def pair() -> tuple[sockets.GreenSocketIO, socket.socket]:
    server, client = socket.socketpair()
    # Small buffers, so that a few hundred kilobytes fill them.
    for end in (server, client):
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    return sockets.GreenSocketIO(server, sockets.TurnWriter()), client


def received_now(client: socket.socket) -> bytes:
    client.setblocking(False)
    try:
        return client.recv(1 << 20)
    except BlockingIOError:
        return b''
    finally:
        client.setblocking(True)


def read_all(client: socket.socket, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = client.recv(min(size, 65536))
        assert chunk, 'the server side closed early'
        chunks.append(chunk)
        size -= len(chunk)
    return b''.join(chunks)


def test_what_one_turn_sends_goes_out_together_at_the_next_turn() -> None:
    io, client = pair()

    io.send(b'first;', 5)
    io.send(b'second;', 5)
    before = received_now(client)
    eventlet.sleep(0)  # the hub's next turn
    eventlet.sleep(0)

    assert (before, received_now(client)) == (b'', b'first;second;')


def test_a_client_too_slow_for_the_turn_still_gets_every_byte_in_order() -> None:
    io, client = pair()
    pieces = [bytes([65 + n % 26]) * 40000 for n in range(20)]  # 800 kB, in small sends

    def respond() -> None:
        for piece in pieces:
            io.send(piece, 10)
            eventlet.sleep(0)  # each piece in a turn of its own
        io.close()

    sender = eventlet.spawn(respond)
    eventlet.sleep(0.05)  # the buffers fill: the writer's send is partial

    assert read_all(client, 800000) == b''.join(pieces)
    sender.wait()
    assert client.recv(1) == b''  # closed after the last byte


def test_a_large_send_goes_out_at_once_and_close_sends_what_is_left() -> None:
    io, client = pair()
    reader = eventlet.spawn(read_all, client, sockets.SEND_NOW_SIZE + 5)

    io.send(b'x' * sockets.SEND_NOW_SIZE, 10)  # blocks until the reader took it
    io.send(b'tail!', 10)
    io.close()

    assert reader.wait() == b'x' * sockets.SEND_NOW_SIZE + b'tail!'


def test_a_client_that_left_is_seen_on_the_next_send() -> None:
    io, client = pair()
    client.close()

    io.send(b'to nobody', 5)
    eventlet.sleep(0)
    eventlet.sleep(0)

    with pytest.raises(sockets.PeerGone):
        io.send(b'again', 5)
        io.flush(5)
    assert io.gone
