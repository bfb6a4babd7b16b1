"""Bad configuration and bad plugins: exit 1, one clear line, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration.conftest import (PLUGIN_SOURCE, ServiceRunner, install_plugin,
                                        wait_until)

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

BINARIES = ['svcframe-compute', 'svcframe-conductor', 'svcframe-scheduler']


def assert_one_line_error(result, *expected: str) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]
    assert 'Traceback' not in result.stderr + result.stdout
    return lines[0]


@pytest.mark.parametrize('binary', BINARIES)
def test_unknown_manager_names_it_and_the_installed_ones(
        services: ServiceRunner, binary: str) -> None:
    topic = binary.split('-')[1]
    services.write_config('[DEFAULT]\n%s_manager = nosuch\n' % topic)

    line = assert_one_line_error(services.run(binary), 'nosuch', '%s_manager' % topic)

    # Built-in names and the names the installed plugin package adds.
    for name in ('compute', 'conductor', 'scheduler', 'recorder', 'broken'):
        assert name in line.split('svcframe.managers:')[1]


def test_option_with_a_bad_value_is_named_with_what_is_allowed(services: ServiceRunner) -> None:
    services.write_config('[DEFAULT]\nreport_interval = abc\n')

    line = assert_one_line_error(services.run('svcframe-compute'), 'report_interval', "'abc'")

    assert 'integer' in line
    assert str(services.config_path) in line


def test_value_out_of_range_in_a_group(services: ServiceRunner) -> None:
    services.write_config('[conductor]\nworkers = 0\n')

    line = assert_one_line_error(services.run('svcframe-conductor'),
                                 '[conductor] workers', "'0'")

    assert '>= 1' in line


def test_bad_value_of_a_plugin_option_is_caught_at_start(services: ServiceRunner) -> None:
    services.write_config('[DEFAULT]\ncompute_manager = recorder\n'
                          '[recorder]\ncleanup_seconds = soon\n')

    assert_one_line_error(services.run('svcframe-compute'),
                          '[recorder] cleanup_seconds', "'soon'", 'number')
    assert services.events.all() == []


def test_missing_config_file_is_named(services: ServiceRunner) -> None:
    missing = str(services.tmp_path / 'nowhere.conf')

    assert_one_line_error(services.run('svcframe-compute', '--config-file', missing,
                                       config=False), missing)


def test_config_file_that_does_not_parse_is_named(services: ServiceRunner) -> None:
    services.config_path.write_text('[DEFAULT\nhost = x\n')

    assert_one_line_error(services.run('svcframe-compute'), str(services.config_path))


def test_unknown_command_line_argument_is_a_usage_error(services: ServiceRunner) -> None:
    result = services.run('svcframe-compute', '--no-such-flag', config=False)

    assert result.returncode == 2
    assert '--no-such-flag' in result.stderr
    assert 'Traceback' not in result.stderr


def test_manager_that_is_not_a_manager_class_is_refused(services: ServiceRunner) -> None:
    services.write_config('[DEFAULT]\ncompute_manager = notamanager\n')

    assert_one_line_error(services.run('svcframe-compute'), 'notamanager',
                          'svcframe.manager.Manager')


def test_plugin_that_fails_to_import_keeps_its_traceback(services: ServiceRunner) -> None:
    services.write_config('[DEFAULT]\ncompute_manager = broken\n')

    result = services.run('svcframe-compute')

    assert result.returncode == 1
    first, *rest = result.stderr.splitlines()
    assert first.startswith('svcframe-compute: error: ')
    assert "'broken'" in first and 'acme_recorder.broken:BrokenManager' in first
    assert 'ModuleNotFoundError' in first
    # The import error's own traceback follows, down to the failing line.
    assert rest[0].startswith('Traceback')
    assert 'acme_recorder/broken.py' in result.stderr
    assert 'import acme_dependency_that_is_not_installed' in result.stderr


def test_plugin_reinstalled_with_a_new_entry_point_is_found_at_once(
        services: ServiceRunner) -> None:
    """stevedore's entry-point cache keys on coarse file times; svcframe must not be fooled."""
    site = services.tmp_path / 'site'
    original = (PLUGIN_SOURCE / 'setup.cfg').read_text()
    install_plugin(PLUGIN_SOURCE, site)
    services.plugin_site = site
    services.write_config('[DEFAULT]\ncompute_manager = renamed\n')
    assert_one_line_error(services.run('svcframe-compute'), 'renamed')
    # Fill stevedore's on-disk cache with the first install's names, as any
    # other stevedore user on the machine would.
    subprocess.run([sys.executable, '-c', 'import stevedore; '
                    'stevedore.ExtensionManager("svcframe.managers")'],
                   env=services.env(), check=True)

    install_plugin(PLUGIN_SOURCE, site, setup_cfg=original.replace(
        'recorder = acme_recorder', 'renamed = acme_recorder'))
    compute = services.start('svcframe-compute')

    init = wait_until(lambda: services.events.of('init_host'), what='init_host')
    assert init[0][0] == compute.pid


def test_config_check_reports_every_problem_of_a_file_at_once(services: ServiceRunner) -> None:
    services.write_config('[DEFAULT]\ncompute_manager = recorder\nreport_intervall = 5\n'
                          '[api]\nport = notaport\n'
                          '[recorder]\ngreeting = hi\ncleanup_seconds = soon\n'
                          '[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = 30\n'
                          '[nosuchgroup]\nx = 1\n')

    result = services.run('svcframe-manage', 'config', 'check')

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    path = str(services.config_path)
    assert lines == [
        "%s: [DEFAULT] report_intervall: unknown option (did you mean report_interval?)" % path,
        '%s: [nosuchgroup] x: unknown option' % path,
        "[api] port = 'notaport' is not valid (from %s): must be an integer from 0 to 65535"
        % path,
        "[recorder] cleanup_seconds = 'soon' is not valid (from %s): must be a number >= 0" % path,
        '4 problem(s) in %s' % path,
    ]


def test_config_check_passes_a_good_file(services: ServiceRunner) -> None:
    # Options of svcframe, of a plugin, and of libraries not loaded until a
    # service starts (the broker driver's).
    services.write_config('[DEFAULT]\ncompute_manager = recorder\nreport_interval = 5\n'
                          '[recorder]\ngreeting = hi\n'
                          '[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = 30\n')

    result = services.run('svcframe-manage', 'config', 'check')

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'no problems in %s' % services.config_path
