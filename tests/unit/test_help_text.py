"""Every binary's --help says what the binary does, first thing after the usage."""

from __future__ import annotations

import pytest
from oslo_config import cfg

from svcframe import config

BINARIES = ('svcframe-api', 'svcframe-compute', 'svcframe-conductor',
            'svcframe-scheduler', 'svcframe-all', 'svcframe-manage')


def help_text(binary: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        config.parse_args(['--help'], binary, cfg.ConfigOpts())
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize('binary', BINARIES)
def test_each_binary_has_a_description_of_its_own(binary: str) -> None:
    description = config.describe_binary(binary)

    assert description.startswith(binary + ': ')
    others = [config.describe_binary(other) for other in BINARIES if other != binary]
    assert description not in others


@pytest.mark.parametrize('binary', BINARIES)
def test_help_shows_the_description_before_the_options(
        binary: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(binary, capsys)

    # argparse wraps the description; compare it with the wrapping undone.
    flat = ' '.join(text.split())
    assert config.describe_binary(binary) in flat
    assert flat.index(binary + ': ') < flat.index('options:')


def test_compute_says_it_builds_instances_on_this_host() -> None:
    assert 'builds and tears down instances on this host' in \
        config.describe_binary('svcframe-compute')


def test_a_plugin_binary_gets_a_generic_description_naming_its_topic(
        capsys: pytest.CaptureFixture[str]) -> None:
    description = config.describe_binary('svcframe-echo')

    assert description == ('svcframe-echo: runs a service built on svcframe (topic echo, '
                           'manager [DEFAULT] echo_manager).')
    assert description in ' '.join(help_text('svcframe-echo', capsys).split())
