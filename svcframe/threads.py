"""What a manager needs to run work beside its RPC methods, on either backend.

Green threads under eventlet, native threads under ``SVCFRAME_BACKEND=
threading`` (svcframe.backend): the same manager code runs on both. They
are the standard library's, which eventlet's monkey patching makes green,
so a manager written with these also runs unchanged in a process that
patched nothing. Plugin authors: doc/source/plugins.rst, "Threads".

* ``spawn(function, *args)``: run it in the background; a Future.
* ``sleep(seconds)``: let the others run meanwhile.
* ``Lock()``, ``Event()``: as in ``threading``.
* ``Pool(size, name)``: at most ``size`` functions at a time; ``submit()``
  queues the rest (``concurrent.futures.ThreadPoolExecutor``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures
from typing import Any

Lock = threading.Lock
Event = threading.Event
Pool = futures.ThreadPoolExecutor


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def spawn(function: Callable[..., Any], *args: Any, **kwargs: Any) -> futures.Future:
    """Run ``function(*args, **kwargs)`` in a thread of its own (a daemon).

    The Future gives its result or raises what it raised; nothing waits for
    it at exit, so a manager stops its own tasks in ``cleanup_host()``.
    """
    future: futures.Future = futures.Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(function(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - handed to the Future
            future.set_exception(error)

    name = getattr(function, '__name__', 'task')
    threading.Thread(target=run, name=name, daemon=True).start()
    return future
