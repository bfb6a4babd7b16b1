"""What every test layer shares: how tests find the real servers they need."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get('SVCFRAME_REQUIRE_SERVICES') == '1'


def service_url(variable: str, what: str) -> str:
    """The URL of a real server from the environment.

    Without it the test is skipped, with the reason; with
    SVCFRAME_REQUIRE_SERVICES=1 (as in CI) a missing server fails the test.
    """
    url = os.environ.get(variable)
    if url:
        return url
    message = '%s is not set: no %s to test against' % (variable, what)
    if REQUIRE_SERVICES:
        pytest.fail(message + ' (SVCFRAME_REQUIRE_SERVICES=1)')
    pytest.skip(message)
