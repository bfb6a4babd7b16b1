"""What the protocol needs of a connection's I/O, whichever way it waits.

Two implementations: sockets.GreenSocketIO waits in the eventlet hub, and
thread_sockets.ThreadSocketIO blocks a native thread. This module imports
neither eventlet nor anything that does, so a process on native threads can
import the protocol without it.
"""

from __future__ import annotations

import errno
import socket
from typing import Protocol

RECEIVE_SIZE = 65536
# What a peer that went away looks like, on receive or on send.
GONE_ERRNOS = frozenset((errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN, errno.ESHUTDOWN,
                         errno.EBADF, errno.ECONNABORTED, errno.ETIMEDOUT))


class PeerGone(ConnectionError):
    """The client closed or reset its connection."""


class WentIdle(Exception):
    """No byte of a next request has come: the connection would wait idle.

    Raised only by an I/O whose server parks idle connections in a poller
    rather than in the thread that served them (thread_server.py).
    """


class ConnectionIO(Protocol):
    """Receive and send on one client connection."""

    sock: socket.socket
    waited: bool  # whether the last receive had to wait for the client

    def await_request(self, timeout: float | None) -> bytes:
        """The first bytes of the next request (b'' once the client closed).

        Raises TimeoutError after ``timeout`` s, or WentIdle.
        """

    def receive(self, timeout: float | None) -> bytes:
        """The next bytes; b'' once the client closed. Raises TimeoutError."""

    def send(self, data: bytes, timeout: float | None) -> None:
        """Raises PeerGone, or TimeoutError after ``timeout`` s blocked."""

    def pause(self) -> None:
        """Let other connections run between pipelined requests."""

    def close(self) -> None:
        """Send what is still queued, then shut the connection down."""


def gone(error: OSError) -> bytes:
    """b'' (the end) for a peer that went away; any other error is raised."""
    if error.errno in GONE_ERRNOS:
        return b''
    raise error


def shutdown(sock: socket.socket) -> None:
    """Shut both directions down, whatever state the socket is in.

    A thread blocked on the socket (or a poller watching it) then sees the end.
    """
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed, or never connected
