"""svcframe.wsgi.thread_pool: threads woken as the work needs them."""

from __future__ import annotations

import threading
import time

from svcframe.wsgi import thread_pool

PATIENCE = 10.0


def test_work_that_keeps_up_runs_on_one_thread_of_many() -> None:
    ran: list[str] = []
    done = threading.Event()

    def work(item: int) -> None:
        ran.append(threading.current_thread().name)
        if item == 99:
            done.set()

    pool = thread_pool.WorkerPool(8, 'pool', work)
    pool.start()
    for item in range(100):
        pool.submit(item)
        if item % 10 == 0:
            time.sleep(0.001)  # let it run dry and sleep now and then

    assert done.wait(PATIENCE)
    pool.stop()
    assert len(ran) == 100 and len(set(ran)) == 1


def test_a_thread_blocked_in_its_work_gets_another_woken_for_the_rest() -> None:
    release = threading.Event()
    finished: list[str] = []

    def work(item: str) -> None:
        if item == 'blocks':
            release.wait(PATIENCE)
        finished.append(item)

    pool = thread_pool.WorkerPool(2, 'pool', work)
    pool.start()
    pool.submit('blocks')
    while pool._ready:  # taken
        time.sleep(0.001)
    pool.submit('quick')
    deadline = time.monotonic() + PATIENCE
    while 'quick' not in finished and time.monotonic() < deadline:
        pool.watch(time.monotonic())  # what the server's poller does between events
        time.sleep(0.001)

    assert finished == ['quick']
    release.set()
    pool.stop()
    assert finished == ['quick', 'blocks']


def test_stop_ends_every_thread() -> None:
    pool = thread_pool.WorkerPool(4, 'pool', lambda item: None)
    pool.start()

    pool.stop()

    assert not any(thread.is_alive() for thread in pool._threads)
