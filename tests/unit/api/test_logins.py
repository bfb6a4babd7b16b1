from __future__ import annotations

import base64
import threading

import bcrypt
import eventlet
import pytest
from eventlet import event
from eventlet import semaphore
from eventlet import tpool

from svcframe.api import logins

HASH = bcrypt.hashpw(b'pw', bcrypt.gensalt(4))


def header(raw: bytes, scheme: str = 'Basic') -> str:
    return '%s %s' % (scheme, base64.b64encode(raw).decode())


@pytest.mark.parametrize('value, expected', [
    (header(b'alice:pw'), ('alice', b'pw')),
    (header(b'alice:p:w'), ('alice', b'p:w')),
    (header(b'alice:'), ('alice', b'')),
    (header(b'alice:pw', scheme='basic'), ('alice', b'pw')),
    (None, None),
    ('', None),
    ('Basic', None),
    ('Bearer abc', None),
    (header(b'alice:pw', scheme='Digest'), None),
    ('Basic not*base64', None),
    ('Basic \u00e9\u00e9\u00e9\u00e9', None),
    (header(b'no-colon'), None),
    (header(b':pw'), None),
    (header(b'\xff:pw'), None),
])
def test_parse_basic(value: str | None, expected: tuple[str, bytes] | None) -> None:
    assert logins.parse_basic(value) == expected


def native_checker(check=bcrypt.checkpw) -> logins.PasswordChecker:
    return logins.PasswordChecker(threading.BoundedSemaphore(1), logins._call, check)


def test_any_bcrypt_error_is_a_mismatch() -> None:
    checker = native_checker()

    assert checker.matches(b'pw', HASH)
    assert not checker.matches(b'wrong', HASH)
    assert not checker.matches(b'x' * 73, HASH)  # bcrypt: longer than 72 bytes
    assert not checker.matches(b'pw', b'$2b$04$short')
    assert not checker.matches(b'pw', b'')


def test_run_raises_the_exception_of_the_call_in_the_caller() -> None:
    def fails() -> None:
        raise KeyError('k')

    with pytest.raises(KeyError):
        native_checker().run(fails)


def test_without_monkey_patching_checks_run_in_the_callers_thread() -> None:
    checker = logins.PasswordChecker.for_this_process(size=2)

    assert checker.run_in_thread is logins._call
    assert checker.run(threading.get_ident) == threading.get_ident()


class SlowCheck:
    """A check that holds its native thread until released, as bcrypt does."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()

    def __call__(self, password: bytes, hashed: bytes) -> bool:
        self.started.release()
        assert self.release.wait(10)
        return password == hashed

    def wait_started(self) -> bool:
        """Give the hub turns until one check started (False after 5 s)."""
        for _ in range(500):
            if self.started.acquire(blocking=False):
                return True
            eventlet.sleep(0.01)
        return False


def test_a_slow_check_in_tpool_leaves_other_green_threads_running() -> None:
    slow = SlowCheck()
    checker = logins.PasswordChecker(semaphore.Semaphore(2), tpool.execute, slow)
    login = eventlet.spawn(checker.matches, b'pw', b'pw')
    assert slow.wait_started()

    other = event.Event()
    eventlet.spawn(other.send, 'ran')

    assert other.wait(timeout=5) == 'ran'
    assert not login.dead
    slow.release.set()
    assert login.wait() is True


def test_checks_beyond_the_slots_wait_their_turn() -> None:
    slow = SlowCheck()
    checker = logins.PasswordChecker(semaphore.Semaphore(1), tpool.execute, slow)
    first = eventlet.spawn(checker.matches, b'a', b'a')
    second = eventlet.spawn(checker.matches, b'b', b'c')
    assert slow.wait_started()
    eventlet.sleep(0.05)

    assert not slow.started.acquire(blocking=False)  # the second waits for the slot
    slow.release.set()
    assert (first.wait(), second.wait()) == (True, False)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


USER_A = (('user', 'alice'), ('address', '192.0.2.1'))


def test_the_budget_refuses_past_the_limit_until_the_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    budget = logins.FailureBudget(clock)
    assert budget.charge(USER_A, 3, 60) == 0
    clock.now += 10
    assert budget.charge(USER_A, 3, 60) == 0
    assert budget.charge(USER_A, 3, 60) == 0

    assert budget.charge(USER_A, 3, 60) == 50
    clock.now += 49.5
    assert budget.charge(USER_A, 3, 60) == 1
    clock.now += 0.5
    assert budget.charge(USER_A, 3, 60) == 0
    assert budget.charge(USER_A, 3, 60) == 10


def test_the_budget_counts_per_user_and_per_address_separately() -> None:
    budget = logins.FailureBudget(Clock())
    for address in ('192.0.2.1', '192.0.2.2'):
        assert budget.charge((('user', 'alice'), ('address', address)), 2, 60) == 0

    # alice is spent from any address; the addresses are not, for other users.
    assert budget.charge((('user', 'alice'), ('address', '192.0.2.3')), 2, 60) > 0
    assert budget.charge((('user', 'bob'), ('address', '192.0.2.1')), 2, 60) == 0
    # 192.0.2.1 is now spent, for every user.
    assert budget.charge((('user', 'carol'), ('address', '192.0.2.1')), 2, 60) > 0


def test_a_refused_attempt_is_not_counted_and_a_refund_gives_one_back() -> None:
    budget = logins.FailureBudget(Clock())
    assert budget.charge(USER_A, 1, 60) == 0
    budget.refund(USER_A)

    assert budget.charge(USER_A, 1, 60) == 0
    assert budget.charge(USER_A, 1, 60) > 0
    assert [len(stamps) for stamps in budget.failures.values()] == [1, 1]


def test_a_limit_of_zero_counts_nothing() -> None:
    budget = logins.FailureBudget(Clock())

    assert all(budget.charge(USER_A, 0, 60) == 0 for _ in range(100))
    assert not budget.failures


def test_the_budget_forgets_expired_keys_and_keeps_at_most_max_tracked() -> None:
    clock = Clock()
    budget = logins.FailureBudget(clock, max_tracked=4)
    for user in ('a', 'b', 'c', 'd'):
        budget.charge((('user', user),), 5, 60)
    assert len(budget.failures) == 4

    budget.charge((('user', 'e'),), 5, 60)
    assert list(budget.failures) == [('user', u) for u in 'bcde']

    clock.now += 61
    budget.charge((('user', 'f'),), 5, 60)
    assert list(budget.failures) == [('user', 'f')]
