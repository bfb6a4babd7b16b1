"""HubThread: an OS thread that keeps an eventlet hub turning.

A Service runs its heartbeat and periodic tasks in eventlet green threads.
In a process that is not monkey-patched (a test run), green threads only
run while the thread that spawned them waits in eventlet. Starting the
services from this thread, which waits in eventlet whenever it has nothing
else to do, keeps their green threads running while the test's own thread
blocks on RPC calls, sleeps or asserts. Each service must be started and
stopped from this same thread: a green thread can only be stopped from the
hub it runs on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import eventlet

T = TypeVar('T')

# How long the hub runs green threads between two looks at the call queue.
TURN_SECONDS = 0.01


class _Call:
    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class HubThread:
    """Runs the functions handed to ``call()`` in one thread with its own hub."""

    def __init__(self, name: str = 'svcframe-testing-hub') -> None:
        self.name = name
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # A daemon: a test that hangs in a service's stop must not also keep
        # the test run from exiting.
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def call(self, function: Callable[[], T], timeout: float = 60.0) -> T:
        """Run ``function`` in the hub's thread; return or raise what it did."""
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError('%s is not running' % self.name)
        call = _Call(function)
        self._calls.put(call)
        if not call.done.wait(timeout):
            raise TimeoutError('%s did not return within %g s in %s'
                               % (getattr(function, '__qualname__', function),
                                  timeout, self.name))
        if call.error is not None:
            raise call.error
        return call.result

    def stop(self, timeout: float = 10.0) -> None:
        """Let the thread finish, once the calls queued before have run."""
        if self._thread is None:
            return
        self._calls.put(None)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                eventlet.sleep(TURN_SECONDS)
                continue
            if call is None:
                return
            try:
                call.result = call.function()
            except BaseException as error:  # noqa: BLE001 - re-raised by call()
                call.error = error
            call.done.set()
