"""pytest fixtures around svcframe.testing.

Enable them in the conftest.py at the top of your tests::

    pytest_plugins = ['svcframe.testing.pytest_plugin']

``svcframe_conf`` reads two fixtures you may override in that conftest:
``svcframe_opts`` (your plugin's options, as its ``list_opts()`` returns
them) and ``svcframe_overrides`` (``{group: {option: value}}``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from oslo_config import cfg

from svcframe import context as request_context
from svcframe.testing.configuration import OptionList, Overrides, make_conf
from svcframe.testing.services import ManagerChoice, ServiceFixture

StartServices = Callable[..., ServiceFixture]


@pytest.fixture
def svcframe_opts() -> OptionList:
    """Options to register besides svcframe's: override with your list_opts()."""
    return []


@pytest.fixture
def svcframe_overrides() -> Overrides:
    """Option values for every test: override to set your own."""
    return {}


@pytest.fixture
def svcframe_conf(tmp_path: Path, svcframe_opts: OptionList,
                  svcframe_overrides: Overrides) -> cfg.ConfigOpts:
    """make_conf() on the test's tmp_path; change it with conf.set_override()."""
    return make_conf(tmp_path / 'state', svcframe_overrides, svcframe_opts)


@pytest.fixture
def svcframe_context() -> request_context.RequestContext:
    """An admin request context, as a service's periodic tasks get."""
    return request_context.get_admin_context()


@pytest.fixture
def svcframe_services(svcframe_conf: cfg.ConfigOpts) -> Iterator[StartServices]:
    """Starts services in this process; all are stopped after the test.

    Call it with the binaries, and optionally managers and another conf:
    ``svcframe_services(['svcframe-compute'], managers={'svcframe-compute':
    EchoManager})``. It returns the started ServiceFixture.
    """
    started: list[ServiceFixture] = []

    def start(binaries: Sequence[str],
              managers: Mapping[str, ManagerChoice] | None = None,
              conf: cfg.ConfigOpts | None = None) -> ServiceFixture:
        fixture = ServiceFixture(svcframe_conf if conf is None else conf, binaries, managers)
        fixture.start()
        started.append(fixture)
        return fixture

    yield start
    _stop_all(list(reversed(started)))


def _stop_all(fixtures: list[ServiceFixture]) -> None:
    """Stop each, even when one before it fails to; raise the first error."""
    first_error: Exception | None = None
    for fixture in fixtures:
        try:
            fixture.stop()
        except Exception as error:  # noqa: BLE001 - raised below
            first_error = first_error or error
    if first_error is not None:
        raise first_error
