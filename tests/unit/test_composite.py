from __future__ import annotations

from collections.abc import Callable

import pytest

from svcframe.composite import CompositeService


class FakePart:
    """Records every call, in one list shared by all the parts of a test."""

    def __init__(self, binary: str, calls: list[str],
                 on_start: Callable[[], None] | None = None,
                 fail: tuple[str, ...] = ()) -> None:
        self.binary = binary
        self.calls = calls
        self.on_start = on_start
        self.fail = fail

    def _call(self, method: str) -> None:
        self.calls.append('%s %s' % (method, self.binary))
        if method in self.fail:
            raise RuntimeError('%s of %s failed' % (method, self.binary))

    def start(self) -> None:
        self._call('start')
        if self.on_start is not None:
            self.on_start()

    def stop(self) -> None:
        self._call('stop')

    def wait(self) -> None:
        self._call('wait')

    def reset(self) -> None:
        self._call('reset')


def composite(calls: list[str], *parts: FakePart) -> CompositeService:
    return CompositeService('svcframe-all', parts or [
        FakePart(binary, calls) for binary in ('conductor', 'scheduler', 'compute', 'api')])


def test_starts_in_order_and_stops_and_waits_in_reverse() -> None:
    calls: list[str] = []
    service = composite(calls)

    service.start()
    service.stop()
    service.wait()

    assert calls == ['start conductor', 'start scheduler', 'start compute', 'start api',
                     'stop api', 'stop compute', 'stop scheduler', 'stop conductor',
                     'wait api', 'wait compute', 'wait scheduler', 'wait conductor']


def test_reset_reaches_every_part_in_order() -> None:
    calls: list[str] = []
    service = composite(calls)

    service.reset()

    assert calls == ['reset conductor', 'reset scheduler', 'reset compute', 'reset api']


def test_a_part_that_fails_to_reset_does_not_keep_it_from_the_others() -> None:
    calls: list[str] = []
    service = composite(calls, FakePart('conductor', calls),
                        FakePart('scheduler', calls, fail=('reset',)),
                        FakePart('api', calls))

    service.reset()  # logged, not raised: the process keeps serving

    assert calls == ['reset conductor', 'reset scheduler', 'reset api']


def test_a_stop_during_start_leaves_the_later_parts_unstarted() -> None:
    calls: list[str] = []
    stopper: list[CompositeService] = []
    # The launcher stops from another thread while a part is starting; the
    # second part's start() stands for that moment.
    service = composite(calls, FakePart('conductor', calls),
                        FakePart('scheduler', calls, on_start=lambda: stopper[0].stop()),
                        FakePart('api', calls))
    stopper.append(service)

    service.start()

    assert calls == ['start conductor', 'start scheduler',
                     'stop api', 'stop scheduler', 'stop conductor']


def test_a_failed_start_raises_and_a_stop_then_stops_every_part() -> None:
    calls: list[str] = []
    service = composite(calls, FakePart('conductor', calls),
                        FakePart('compute', calls, fail=('start',)),
                        FakePart('api', calls))

    with pytest.raises(RuntimeError, match='start of compute failed'):
        service.start()
    service.stop()

    # The API never started, but its stop() releases its listening socket.
    assert calls == ['start conductor', 'start compute',
                     'stop api', 'stop compute', 'stop conductor']


def test_stop_goes_on_past_a_failing_part_and_raises_the_first_error() -> None:
    calls: list[str] = []
    service = composite(calls, FakePart('conductor', calls, fail=('stop',)),
                        FakePart('compute', calls, fail=('stop',)),
                        FakePart('api', calls))

    with pytest.raises(RuntimeError, match='stop of compute failed'):
        service.stop()

    assert calls == ['stop api', 'stop compute', 'stop conductor']
