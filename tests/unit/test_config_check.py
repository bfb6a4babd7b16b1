from __future__ import annotations

from pathlib import Path

from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe import config_check

ROOT = Path(__file__).resolve().parents[2]


def parsed(tmp_path: Path, *texts: str) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    args = []
    for index, text in enumerate(texts):
        path = tmp_path / ('%d.conf' % index)
        path.write_text(text)
        args += ['--config-file', str(path)]
    conf(args, project='svcframe-unit-tests', default_config_files=[])
    return conf


def test_checks_the_namespaces_of_the_sample_config() -> None:
    # The key repeats, which configparser does not allow: read the lines.
    text = (ROOT / 'etc' / 'svcframe-config-generator.conf').read_text()
    listed = [line.split('=', 1)[1].strip() for line in text.splitlines()
              if line.startswith('namespace')]
    assert tuple(listed) == config_check.NAMESPACES


def test_a_clean_file_has_no_problems(tmp_path: Path) -> None:
    conf = parsed(tmp_path, '[DEFAULT]\ndebug = true\n[api]\nport = 8080\n'
                            '[database]\nconnection = sqlite://\n'
                            '[oslo_messaging_rabbit]\nrabbit_qos_prefetch_count = 5\n')
    assert config_check.check(conf) == []


def test_unknown_options_are_named_with_their_file_and_a_likely_fix(tmp_path: Path) -> None:
    conf = parsed(tmp_path, '[DEFAULT]\nservice_down_tim = 5\n', '[api]\nworkerz = 2\n')
    assert config_check.check(conf) == [
        '%s: [DEFAULT] service_down_tim: unknown option (did you mean service_down_time?)'
        % (tmp_path / '0.conf'),
        '%s: [api] workerz: unknown option (did you mean workers?)' % (tmp_path / '1.conf'),
    ]


def test_every_invalid_value_is_reported_not_only_the_first(tmp_path: Path) -> None:
    conf = parsed(tmp_path, '[DEFAULT]\nreport_interval = often\n[wsgi]\nbacklog = -1\n')
    problems = config_check.check(conf)
    assert len(problems) == 2
    assert problems[0].startswith("[DEFAULT] report_interval = 'often' is not valid")
    assert problems[1].startswith("[wsgi] backlog = '-1' is not valid")


def test_a_deprecated_name_is_known(tmp_path: Path) -> None:
    # oslo.log's log_dir was once logdir.
    conf = parsed(tmp_path, '[DEFAULT]\nlogdir = /var/log/svcframe\n')
    assert config_check.check(conf) == []


def test_an_unknown_manager_is_reported(tmp_path: Path) -> None:
    conf = parsed(tmp_path, '[DEFAULT]\nscheduler_manager = nosuch\n')
    [problem] = config_check.check(conf)
    assert "scheduler_manager = 'nosuch' is not installed" in problem


def test_files_of_a_config_dir_are_checked_in_load_order(tmp_path: Path) -> None:
    directory = tmp_path / 'svcframe.conf.d'
    directory.mkdir()
    (directory / '20-b.conf').write_text('[DEFAULT]\nbogus_b = 1\n')
    (directory / '10-a.conf').write_text('[DEFAULT]\nbogus_a = 1\n')
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf(['--config-dir', str(directory)], project='svcframe-unit-tests',
         default_config_files=[])
    assert config_check.config_files(conf) == [str(directory / '10-a.conf'),
                                                str(directory / '20-b.conf')]
    assert [problem.split(': ')[1] for problem in config_check.check(conf)] == [
        '[DEFAULT] bogus_a', '[DEFAULT] bogus_b']


def test_keystone_authtoken_and_its_login_plugin_options_are_known(tmp_path: Path) -> None:
    # auth_token's own options, and those of the keystoneauth plugin it logs in with.
    conf = parsed(tmp_path, '[api]\nauth_strategy = keystone\n'
                            '[keystone_authtoken]\nwww_authenticate_uri = http://ks:5000\n'
                            'memcached_servers = 127.0.0.1:11211\nauth_type = password\n'
                            'auth_url = http://ks:5000\nusername = svcframe\n'
                            'password = secret\nproject_name = service\n'
                            'user_domain_name = Default\nprojct_name = typo\n')
    assert config_check.check(conf) == [
        '%s: [keystone_authtoken] projct_name: unknown option (did you mean project_name?)'
        % (tmp_path / '0.conf')]
