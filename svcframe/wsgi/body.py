"""wsgi.input: a request body streamed from the connection as the app reads it.

It never reads past its request: the parser frames each body (by
Content-Length or chunks) and hands over only that request's bytes. The app
gets what a file gives: read(), read(n), readline(), readlines(), iteration,
and b'' at the end of the body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from svcframe.wsgi.parser import Message

CONTINUE = b'HTTP/1.1 100 Continue\r\n\r\n'


class BodyError(IOError):
    """The body could not be read; ``status`` is the answer (None: the client left)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


class EmptyBody:
    """wsgi.input of a request that came whole and without a body: one for all."""

    failure: BodyError | None = None

    def read(self, size: int | None = -1) -> bytes:
        return b''

    def readline(self, size: int | None = -1) -> bytes:
        return b''

    def readlines(self, hint: int = -1) -> list[bytes]:
        return []

    def __iter__(self) -> Iterator[bytes]:
        return iter(())


EMPTY = EmptyBody()


class RequestBody:
    """The body of ``message``; ``receive()`` reads more of it from the client.

    ``receive()`` feeds the next bytes from the socket to the parser, which
    appends to ``message.body`` (and may begin pipelined requests); it raises
    BodyError when the client is too slow or gone. ``send_continue`` sends
    the interim 100 response an ``Expect: 100-continue`` client waits for,
    the first time the app asks for the body.
    """

    def __init__(self, message: Message, receive: Callable[[], None],
                 send_continue: Callable[[bytes], None]) -> None:
        self.message = message
        self._receive = receive
        self._send_continue = send_continue
        self._buffer = b''
        self.failure: BodyError | None = None

    # --- the file interface ---

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            chunks = [self._take_buffer()]
            while chunk := self._next_chunk():
                chunks.append(chunk)
            return b''.join(chunks)
        while len(self._buffer) < size:
            chunk = self._next_chunk()
            if not chunk:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def readline(self, size: int | None = -1) -> bytes:
        limit = -1 if size is None else size
        while True:
            end = self._buffer.find(b'\n')
            if end >= 0 and (limit < 0 or end < limit):
                return self._split(end + 1)
            if 0 <= limit <= len(self._buffer):
                return self._split(limit)
            chunk = self._next_chunk()
            if not chunk:
                return self._split(len(self._buffer))
            self._buffer += chunk

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    # --- inside ---

    def _next_chunk(self) -> bytes:
        """The next bytes from the parser (the buffer is the callers' to use)."""
        body = self.message.body
        while not body:
            if self.message.complete:
                return b''
            self._pull()
        return body.popleft()

    def _pull(self) -> None:
        message = self.message
        if self.failure is not None:
            raise self.failure
        if message.error is not None:
            self.failure = BodyError(message.error.status, str(message.error))
            raise self.failure
        if message.expect_continue:
            message.expect_continue = False
            self._send_continue(CONTINUE)
        try:
            self._receive()
        except BodyError as error:
            self.failure = error
            raise
        if message.error is not None and not message.body:
            self.failure = BodyError(message.error.status, str(message.error))
            raise self.failure

    def _take_buffer(self) -> bytes:
        data, self._buffer = self._buffer, b''
        return data

    def _split(self, at: int) -> bytes:
        data, self._buffer = self._buffer[:at], self._buffer[at:]
        return data
