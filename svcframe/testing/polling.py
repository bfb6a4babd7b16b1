"""wait_until(): poll for what services do in the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar('T')


def wait_until(condition: Callable[[], T], timeout: float = 15.0,
               what: str = 'the condition', interval: float = 0.05) -> T:
    """Call ``condition`` until it returns something truthy, and return that.

    Raises AssertionError naming ``what`` after ``timeout`` seconds. Use it
    instead of a sleep: it returns as soon as the thing happened, and fails
    with a reason when it never does.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %g s waiting for %s' % (timeout, what))
        time.sleep(interval)
