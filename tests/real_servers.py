"""What every test layer shares: how tests find the real servers they need."""

from __future__ import annotations

import functools
import os
import socket
import urllib.parse
from typing import NoReturn

import pytest

REQUIRE_SERVICES = os.environ.get('SVCFRAME_REQUIRE_SERVICES') == '1'

# The servers a developer's machine (and CI's) runs on their default
# loopback ports: used when the variable is unset and the server answers.
DEFAULT_URLS = {
    'SVCFRAME_TEST_TRANSPORT_URL': 'rabbit://guest:guest@127.0.0.1:5672/',
    'SVCFRAME_TEST_POSTGRESQL_URL': 'postgresql+psycopg2://postgres@127.0.0.1:5432/',
    'SVCFRAME_TEST_MYSQL_URL': 'mysql+pymysql://root@127.0.0.1:3306/',
}


@functools.cache
def _answers(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at host:port (probed once per run)."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def absent(message: str) -> NoReturn:
    """Skip the test because a server is absent, or fail it under SVCFRAME_REQUIRE_SERVICES=1."""
    if REQUIRE_SERVICES:
        pytest.fail(message + ' (SVCFRAME_REQUIRE_SERVICES=1)')
    pytest.skip(message)


def is_default(variable: str) -> bool:
    """True when ``variable`` is unset, so the loopback default is in use."""
    return not os.environ.get(variable)


def service_url(variable: str, what: str) -> str:
    """The URL of a real server: ``variable`` if set, else the loopback default if it answers.

    A server that is absent skips the test with the reason; with
    SVCFRAME_REQUIRE_SERVICES=1 (as in CI) it fails the test.
    """
    url = os.environ.get(variable)
    if url:
        return url
    default = DEFAULT_URLS[variable]
    parts = urllib.parse.urlsplit(default)
    host, port = parts.hostname or '127.0.0.1', parts.port or 0
    if _answers(host, port):
        return default
    absent('no %s at %s:%d (set %s)' % (what, host, port, variable))
