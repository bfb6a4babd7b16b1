"""svcframe.threads: background tasks and a bounded pool, here on native threads."""

from __future__ import annotations

import pytest

from svcframe import threads
from svcframe.testing.polling import wait_until


def test_a_spawned_task_gives_its_result_or_raises_what_it_raised() -> None:
    assert threads.spawn(lambda a, b=0: a + b, 1, b=2).result(timeout=10) == 3

    def broken() -> None:
        raise KeyError('lost')

    with pytest.raises(KeyError):
        threads.spawn(broken).result(timeout=10)


def test_a_pool_runs_at_most_its_size_at_once() -> None:
    release = threads.Event()
    lock = threads.Lock()
    running: list[int] = []
    most = [0]

    def work(index: int) -> int:
        with lock:
            running.append(index)
            most[0] = max(most[0], len(running))
        release.wait(10)
        with lock:
            running.remove(index)
        return index

    with threads.Pool(2, thread_name_prefix='test') as pool:
        futures = [pool.submit(work, index) for index in range(5)]
        wait_until(lambda: len(running) == 2, what='two tasks running')
        release.set()
        assert [future.result(timeout=10) for future in futures] == list(range(5))
    assert most[0] == 2
