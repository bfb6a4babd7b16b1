from __future__ import annotations

import pytest

from svcframe.testing import wait_until


def test_returns_the_first_truthy_value() -> None:
    answers = iter([None, 0, [], {'count': 1}])

    assert wait_until(lambda: next(answers), interval=0) == {'count': 1}


def test_fails_naming_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match='waiting for the first tick'):
        wait_until(lambda: False, timeout=0.05, what='the first tick', interval=0.01)
