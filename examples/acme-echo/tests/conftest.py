"""svcframe's test fixtures, with this plugin's options registered."""

import pytest

from acme_echo import manager

pytest_plugins = ['svcframe.testing.pytest_plugin']


@pytest.fixture
def svcframe_opts():
    return manager.list_opts()
