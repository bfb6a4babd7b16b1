"""Running an in-process WSGIServer on either backend, from a test in this thread's hub.

An unpatched process is on native threads (svcframe.backend.current()), so
the server picks its threaded serving; ``use('eventlet', ...)`` makes it
pick the green one instead, in this thread's hub. The clients use green
sockets, which work with both: under threads they just wait in this hub.
"""

from __future__ import annotations

import threading

import eventlet
import pytest
from eventlet import event

from svcframe import backend

NAMES = (backend.EVENTLET, backend.THREADING)


def use(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, 'current', lambda: name)


class Gate:
    """What an app waits on until the test opens it: green or native, as the app runs."""

    def __init__(self, name: str) -> None:
        self._green = name == backend.EVENTLET
        self._event = event.Event() if self._green else threading.Event()

    def wait(self) -> None:
        self._event.wait()

    def open(self) -> None:
        if self._green:
            if not self._event.ready():
                self._event.send(True)
        else:
            self._event.set()


def wait_for(condition: object, attempts: int = 500) -> bool:
    """Whether ``condition()`` came true, polled in this hub (up to about 5 s)."""
    for _ in range(attempts):
        if condition():
            return True
        eventlet.sleep(0.01)
    return bool(condition())
