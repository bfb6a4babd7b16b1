"""What a login with HTTP basic credentials costs, and how many may fail.

bcrypt is slow on purpose (a quarter of a second at cost 12), so a check run
on the eventlet hub stalls every request of the process. PasswordChecker runs
checks in native threads, a few at a time. FailureBudget counts failed logins
per user name and per client address, so that guessing is answered with 429
before it costs any bcrypt work.
"""

from __future__ import annotations

import base64
import binascii
import collections
import math
import os
import threading
import time
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from typing import Any

import bcrypt

from svcframe import backend

# Checks at once per process: at most half the CPUs, so that the hub and the
# other workers keep a CPU however many logins fail together.
DEFAULT_SLOTS = max(1, min(4, (os.cpu_count() or 2) // 2))

# Names and addresses remembered at once. Past it the ones that failed least
# recently are forgotten first; each costs at most max_failures timestamps.
MAX_TRACKED = 10000


def parse_basic(header: str | None) -> tuple[str, bytes] | None:
    """User name and password of an ``Authorization: Basic`` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(' ')
    if scheme.lower() != 'basic':
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
        name, colon, password = decoded.partition(b':')
        if not colon or not name:
            return None
        return name.decode('utf-8'), password
    except (binascii.Error, UnicodeError, ValueError):
        return None


def _in_thread(function: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """Call ``function``, returning its exception instead of raising it.

    eventlet's tpool prints the traceback of whatever its threads raise.
    """
    try:
        return True, function(*args)
    except Exception as error:  # handed back to the caller, raised there
        return False, error


def _call(function: Callable[..., Any], *args: Any) -> Any:
    return function(*args)


class PasswordChecker:
    """bcrypt checks off the eventlet hub, ``slots`` at a time.

    ``run_in_thread(function, *args)`` runs a call in a native thread and
    waits for it without blocking other green threads (eventlet's
    tpool.execute); ``slots`` is a semaphore of the same world (green or native).
    """

    def __init__(self, slots: AbstractContextManager,
                 run_in_thread: Callable[..., Any],
                 check: Callable[[bytes, bytes], bool] = bcrypt.checkpw) -> None:
        self.slots = slots
        self.run_in_thread = run_in_thread
        self.check = check

    @classmethod
    def for_this_process(cls, size: int = DEFAULT_SLOTS) -> PasswordChecker:
        """tpool threads where eventlet patched the process, else the caller's thread.

        Without eventlet (gunicorn or uWSGI threads) the caller is already a
        native thread, and bcrypt lets go of the GIL while it hashes.
        """
        if backend.current() == backend.EVENTLET:
            from eventlet import semaphore
            from eventlet import tpool
            return cls(semaphore.Semaphore(size), tpool.execute)
        return cls(threading.BoundedSemaphore(size), _call)

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` in a slot's thread; its exception is raised here."""
        with self.slots:
            ok, value = self.run_in_thread(_in_thread, function, *args)
        if not ok:
            raise value
        return value

    def matches(self, password: bytes, hashed: bytes) -> bool:
        """Whether ``password`` matches; any error of bcrypt is a mismatch.

        bcrypt refuses passwords over 72 bytes; that is a wrong password too,
        found in the same time for a known user as for an unknown one.
        """
        try:
            return bool(self.run(self.check, password, hashed))
        except Exception:
            return False


class FailureBudget:
    """Failed logins per key (a user name, a client address) in a sliding window.

    ``charge`` counts an attempt as failed before its password is checked,
    so that logins checked at the same time cannot all slip under the limit;
    ``refund`` takes it back when the password was right.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_tracked: int = MAX_TRACKED) -> None:
        self.clock = clock
        self.max_tracked = max_tracked
        self.failures: collections.OrderedDict[Hashable, collections.deque[float]] = (
            collections.OrderedDict())
        self.lock = threading.Lock()

    def charge(self, keys: tuple[Hashable, ...], limit: int, window: float) -> int:
        """0 when an attempt was counted against every key, else the seconds
        until each key has room again. ``limit`` 0 counts nothing."""
        if limit <= 0:
            return 0
        with self.lock:
            now = self.clock()
            wait = 0.0
            for key in keys:
                stamps = self._stamps(key, now - window)
                if len(stamps) >= limit:
                    wait = max(wait, stamps[-limit] + window - now)
            if wait > 0:
                return max(1, math.ceil(wait))
            for key in keys:
                self.failures.setdefault(key, collections.deque()).append(now)
                self.failures.move_to_end(key)
            self._forget(now - window)
            return 0

    def refund(self, keys: tuple[Hashable, ...]) -> None:
        """Take back the latest attempt counted against each key."""
        with self.lock:
            for key in keys:
                stamps = self.failures.get(key)
                if stamps:
                    stamps.pop()

    def _stamps(self, key: Hashable, since: float) -> collections.deque[float]:
        stamps = self.failures.get(key, collections.deque())
        while stamps and stamps[0] <= since:
            stamps.popleft()
        return stamps

    def _forget(self, since: float) -> None:
        """Drop keys with no failure left in the window, then the oldest past the cap."""
        while self.failures:
            key, stamps = next(iter(self.failures.items()))
            if stamps and stamps[-1] > since and len(self.failures) <= self.max_tracked:
                break
            del self.failures[key]
