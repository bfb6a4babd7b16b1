"""The worker threads of the threaded server: as many running as keep the work moving.

Python threads share one GIL: two threads running Python code at once do
not go faster than one, and hand the GIL back and forth at every system
call, on two CPUs at the cost of a futex wake-up and a migration each time.
Measured on svcframe-api (bench/http_bench.py, 50 keep-alive clients), 4 or
more threads all taking turns served 30% fewer requests than one thread
alone. But one thread is not enough when a request waits on a database.

So the pool wakes threads as they are needed, not in turn: a ready
connection wakes a sleeping thread only when none is running, and the one
that went to sleep last; a running thread that finishes takes the next
ready connection itself. When ready
connections wait ``STALL_SECONDS`` while no thread takes one (the running
ones are blocked, in the app, on I/O), the server's poller wakes one more
(``watch()``), up to ``size``.
"""

from __future__ import annotations

import collections
import itertools
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar('Item')

# Ready work may wait this long with no thread taking any before one more
# thread is woken: long next to a request's CPU time (tens of microseconds),
# short next to what a client notices.
STALL_SECONDS = 0.001


class WorkerPool(Generic[Item]):
    """Runs ``work(item)`` for each submitted item, on at most ``size`` threads."""

    def __init__(self, size: int, name: str, work: Callable[[Item], None]) -> None:
        self.size = size
        self.name = name
        self.work = work
        self._ready: collections.deque[Item] = collections.deque()
        self._lock = threading.Lock()
        self._sleepers: list[threading.Lock] = []  # a stack: the last to sleep wakes first
        self._taken = 0  # items taken so far (progress, not a count to rely on)
        self._counter = itertools.count(1)  # next() is atomic: one per thread taking
        self._seen = (0, 0.0)  # (items taken, when the poller saw that number)
        self._stopping = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._run, daemon=True,
                                          name='%s-%d' % (self.name, number))
                         for number in range(self.size)]
        for thread in self._threads:
            thread.start()

    def submit(self, item: Item) -> None:
        """Queue ``item`` (from the one thread that submits)."""
        self._ready.append(item)
        # Read after the append; a thread going to sleep counts itself
        # before it looks at the queue again, so one of the two sees the other.
        if len(self._sleepers) == self.size:
            self._wake_one()

    def watch(self, now: float) -> float | None:
        """Wake one more thread if ready work stalled; the seconds until the next look.

        None when nothing is waiting. Called by the submitting thread.
        """
        if not self._ready:
            return None
        taken, since = self._seen
        if self._taken != taken:
            self._seen = (self._taken, now)
        elif now - since >= STALL_SECONDS:
            self._wake_one()
            self._seen = (taken, now)
        return STALL_SECONDS

    def stop(self) -> None:
        """End every thread once the queue is empty; wait for them."""
        with self._lock:
            self._stopping = True
            sleepers, self._sleepers = self._sleepers, []
        for gate in sleepers:
            gate.release()
        for thread in self._threads:
            thread.join()

    def _wake_one(self) -> None:
        """Wake the thread that went to sleep last: its stack and data are still warm."""
        with self._lock:
            if self._sleepers:
                self._sleepers.pop().release()

    def _run(self) -> None:
        ready = self._ready
        gate = threading.Lock()
        gate.acquire()  # held: acquiring it again is sleeping until a release
        while True:
            try:
                item = ready.popleft()
            except IndexError:
                if self._sleep(gate):
                    continue
                return
            self._taken = next(self._counter)
            self.work(item)

    def _sleep(self, gate: threading.Lock) -> bool:
        """Wait for work; False when the pool stops."""
        with self._lock:
            if self._stopping:
                return False
            # Counted before looking at the queue again: see submit().
            self._sleepers.append(gate)
            if self._ready:  # submitted meanwhile: no sleep after all
                self._sleepers.remove(gate)
                return True
        gate.acquire()
        return True
