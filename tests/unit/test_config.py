from __future__ import annotations

import importlib.metadata

import pytest
from oslo_config import cfg
from oslo_config import types
from oslo_messaging import opts as messaging_opts

from svcframe import config
from svcframe import exception
from svcframe.conf import log as conf_log


def parse(*args: str) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    config.parse_args(list(args), 'svcframe-test', conf)
    return conf


def test_parse_args_reads_options_from_a_config_file(write_config) -> None:
    path = write_config('[DEFAULT]\nreport_interval = 7\n[conductor]\nworkers = 3\n')

    conf = parse('--config-file', str(path))

    assert conf.report_interval == 7
    assert conf.conductor.workers == 3
    assert conf.compute_manager == 'compute'


def test_bad_integer_names_option_value_file_and_what_is_allowed(write_config) -> None:
    path = write_config('[DEFAULT]\nreport_interval = abc\n')

    with pytest.raises(exception.InvalidOptionValue) as raised:
        parse('--config-file', str(path))

    error = raised.value
    assert (error.group, error.name, error.value) == ('DEFAULT', 'report_interval', 'abc')
    assert error.source == str(path)
    assert str(error) == ("[DEFAULT] report_interval = 'abc' is not valid (from %s): "
                          'must be an integer >= 1' % path)


def test_later_config_file_wins_when_naming_the_bad_value(write_config) -> None:
    first = write_config('[scheduler]\nworkers = 2\n', 'a.conf')
    second = write_config('[scheduler]\nworkers = -1\n', 'b.conf')

    with pytest.raises(exception.InvalidOptionValue) as raised:
        parse('--config-file', str(first), '--config-file', str(second))

    assert (raised.value.group, raised.value.value, raised.value.source) == (
        'scheduler', '-1', str(second))


def test_bad_value_in_a_config_dir_is_traced_to_its_file(tmp_path) -> None:
    directory = tmp_path / 'svcframe.conf.d'
    directory.mkdir()
    (directory / '10-base.conf').write_text('[DEFAULT]\nreport_interval = 5\n')
    (directory / '20-site.conf').write_text('[DEFAULT]\nreport_interval = 0\n')

    with pytest.raises(exception.InvalidOptionValue) as raised:
        parse('--config-dir', str(directory))

    assert (raised.value.value, raised.value.source) == (
        '0', str(directory / '20-site.conf'))


def test_bad_value_from_the_environment_names_the_variable(
        write_config, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config('[conductor]\nworkers = 2\n')
    monkeypatch.setenv('OS_CONDUCTOR__WORKERS', '0')

    with pytest.raises(exception.InvalidOptionValue) as raised:
        parse('--config-file', str(path))

    assert (raised.value.value, raised.value.source) == (
        '0', 'environment variable OS_CONDUCTOR__WORKERS')


def test_missing_config_file_is_a_config_error(tmp_path) -> None:
    missing = tmp_path / 'missing.conf'

    with pytest.raises(exception.ConfigFileNotFound) as raised:
        parse('--config-file', str(missing))

    assert str(missing) in str(raised.value)


def test_unparsable_config_file_is_a_config_error(write_config) -> None:
    path = write_config('[DEFAULT\n')

    with pytest.raises(exception.ConfigFileParseError) as raised:
        parse('--config-file', str(path))

    assert raised.value.path == str(path)


def test_check_values_sees_options_registered_after_parsing(write_config) -> None:
    path = write_config('[plugin]\nlimit = lots\n')
    conf = parse('--config-file', str(path))
    conf.register_opts([cfg.IntOpt('limit', max=10)], group='plugin')

    with pytest.raises(exception.InvalidOptionValue) as raised:
        config.check_values(conf)

    assert str(raised.value).startswith("[plugin] limit = 'lots' is not valid")
    assert str(raised.value).endswith('must be an integer <= 10')


def test_reload_applies_mutable_options_only(write_config) -> None:
    path = write_config('[DEFAULT]\nservice_down_time = 30\nperiodic_fuzzy_delay = 5\n')
    conf = parse('--config-file', str(path))

    write_config('[DEFAULT]\nservice_down_time = 90\nperiodic_fuzzy_delay = 9\n')
    config.reload(conf)

    assert conf.service_down_time == 90  # mutable
    assert conf.periodic_fuzzy_delay == 5  # not mutable: needs a restart


def test_reload_with_a_bad_value_changes_nothing(write_config) -> None:
    path = write_config('[DEFAULT]\nservice_down_time = 30\nreport_interval = 5\n')
    conf = parse('--config-file', str(path))

    write_config('[DEFAULT]\nservice_down_time = 40\nreport_interval = often\n')
    with pytest.raises(exception.InvalidOptionValue):
        config.reload(conf)

    assert conf.service_down_time == 30
    assert conf.report_interval == 5


@pytest.mark.parametrize('opt_type, expected', [
    (types.Integer(min=1), 'an integer >= 1'),
    (types.Integer(min=0, max=9), 'an integer from 0 to 9'),
    (types.Port(), 'an integer from 0 to 65535'),
    (types.Float(), 'a number'),
    (types.Boolean(), 'true or false'),
    (types.String(choices=['noauth', 'http_basic']), 'one of: noauth, http_basic'),
    (types.HostDomain(), 'a host name or an IP address'),
])
def test_describe_type(opt_type: types.ConfigType, expected: str) -> None:
    assert config.describe_type(opt_type) == expected


def test_svcframe_defaults_are_set_on_the_conf_and_not_on_the_libraries_options() -> None:
    conf = parse()

    assert (conf.transport_url, conf.control_exchange) == ('fake://', 'svcframe')
    assert conf.logging_context_format_string == conf_log.CONTEXT_FORMAT
    assert conf.logging_exception_prefix == conf_log.EXCEPTION_PREFIX
    assert 'alembic=WARN' in conf.default_log_levels
    # Another ConfigOpts of this process, and the sample config, see the
    # libraries' own defaults.
    shown = {opt.dest: opt.default for group, opts in messaging_opts.list_opts()
             if group is None for opt in opts}
    assert shown['transport_url'] != 'fake://' and shown['control_exchange'] != 'svcframe'
    (point,) = [point for point in importlib.metadata.entry_points(group='oslo.config.opts')
                if point.name == 'oslo.log']
    shown = {opt.dest: opt.default for group, opts in point.load()() for opt in opts}
    assert shown['logging_context_format_string'] != conf_log.CONTEXT_FORMAT
    assert 'alembic=WARN' not in shown['default_log_levels']


def test_a_rejected_reload_keeps_serving_the_previous_values(write_config) -> None:
    path = write_config('[DEFAULT]\nservice_down_time = 30\n')
    conf = parse('--config-file', str(path))
    write_config('[DEFAULT]\nservice_down_time = 40\n[plugin]\nlimit = lots\n')
    conf.register_opts([cfg.IntOpt('limit', max=10, mutable=True)], group='plugin')

    with pytest.raises(exception.InvalidOptionValue):
        config.reload(conf)
    # The value read while checking the rejected files is not kept either.
    assert conf.service_down_time == 30
