from __future__ import annotations

import threading
from collections.abc import Iterator

import eventlet
import pytest
from eventlet import patcher

from svcframe.testing import wait_until
from svcframe.testing.hub import HubThread


@pytest.fixture
def hub() -> Iterator[HubThread]:
    hub = HubThread()
    hub.start()
    yield hub
    hub.stop()


def test_call_returns_the_result_from_the_hubs_thread(hub: HubThread) -> None:
    assert hub.call(lambda: threading.current_thread().name) == 'svcframe-testing-hub'


def test_call_raises_what_the_function_raised(hub: HubThread) -> None:
    def fail() -> None:
        raise ValueError('bad input')

    with pytest.raises(ValueError, match='bad input'):
        hub.call(fail)


def test_green_threads_run_while_the_caller_blocks_outside_eventlet(hub: HubThread) -> None:
    beats: list[int] = []

    def beat() -> None:
        while True:
            beats.append(1)
            eventlet.sleep(0.01)

    green = hub.call(lambda: eventlet.spawn(beat))
    try:
        # wait_until sleeps with time.sleep, which yields nothing to eventlet.
        wait_until(lambda: len(beats) >= 3, what='three beats')
    finally:
        hub.call(green.kill)
    assert not patcher.is_monkey_patched('thread')


def test_a_stopped_hub_takes_no_calls(hub: HubThread) -> None:
    hub.stop()

    with pytest.raises(RuntimeError, match='is not running'):
        hub.call(lambda: None)
