"""SignalLoop: the one place a launched process handles its signals.

A handler only notes a signal (SignalPipe); ``run_until()`` reads the notes
and calls the handler that ``table`` gives for each, in the order they came,
as gunicorn's arbiter does. The table is the whole of what a signal does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from svcframe.launch.signal_pipe import SignalPipe

SignalTable = dict[int, Callable[[], None]]


class SignalLoop:
    def __init__(self, table: SignalTable) -> None:
        self.table = table
        self.pipe = SignalPipe(tuple(table))

    def open(self) -> None:
        self.pipe.open()

    def close(self) -> None:
        self.pipe.close()

    def run_until(self, done: Callable[[], bool], also: tuple[int, ...] = (),
                  on_readable: Callable[[list[int]], None] = lambda fds: None,
                  every: tuple[float, Callable[[], None]] | None = None) -> None:
        """Dispatch signals until ``done()``; ``on_readable`` gets those of the
        ``also`` fds that became readable (a start that finished, a parent
        gone, a worker ready), before the signals that came with them.
        ``every`` is (seconds, call): a call made that often meanwhile."""
        next_call = time.monotonic() + every[0] if every else None
        while not done():
            timeout = None if next_call is None else max(0.0, next_call - time.monotonic())
            received, readable = self.pipe.wait(timeout=timeout, also=also)
            if readable:
                on_readable(readable)
            for signo in received:
                if done():
                    return
                self.table[signo]()
            if next_call is not None and time.monotonic() >= next_call:
                every[1]()
                next_call = time.monotonic() + every[0]

    def pause(self, timeout: float) -> None:
        """Sleep until a signal or ``timeout``, dispatching nothing: for a
        process that is stopping, which only waits for its children."""
        self.pipe.wait(timeout=timeout)
