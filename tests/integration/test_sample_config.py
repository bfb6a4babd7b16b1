"""The committed sample config is what oslo-config-generator makes today."""

from __future__ import annotations

import subprocess

import pytest

from svcframe.conf import opts
from tests.integration.conftest import ROOT, script

pytestmark = pytest.mark.integration

GENERATOR_CONF = ROOT / 'etc' / 'svcframe-config-generator.conf'
SAMPLE = ROOT / 'etc' / 'svcframe' / 'svcframe.conf.sample'


def generate(*args: str) -> str:
    result = subprocess.run([script('oslo-config-generator'), *args],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    return result.stdout


def test_committed_sample_is_current() -> None:
    fresh = generate('--config-file', str(GENERATOR_CONF), '--output-file', '/dev/stdout')

    assert fresh == SAMPLE.read_text(), (
        'etc/svcframe/svcframe.conf.sample is stale: run "make sample" and commit it')


def test_svcframe_namespace_lists_every_option() -> None:
    listed = generate('--namespace', 'svcframe')

    for group, group_opts in opts.list_opts():
        group_name = getattr(group, 'name', group)
        section = ('\n' + listed).split('\n[%s]\n' % group_name, 1)[1].split('\n[', 1)[0]
        for opt in group_opts:
            assert '#%s = ' % opt.dest in section, (group_name, opt.dest)
    for name in ('host', 'state_path', 'compute_manager', 'conductor_manager',
                 'scheduler_manager', 'report_interval', 'service_down_time',
                 'periodic_enable', 'periodic_fuzzy_delay', 'graceful_shutdown_timeout'):
        assert '#%s = ' % name in listed
