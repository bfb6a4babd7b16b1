from __future__ import annotations

from pathlib import Path

import pytest
from oslo_config import cfg

from svcframe.db.api import Database
from svcframe.testing import make_conf


def test_every_svcframe_option_with_the_test_defaults(tmp_path: Path) -> None:
    conf = make_conf(tmp_path / 'state')

    assert conf.state_path == str(tmp_path / 'state')
    assert (tmp_path / 'state').is_dir()
    assert (conf.host, conf.transport_url, conf.periodic_fuzzy_delay) == (
        'test-host', 'fake://', 0)
    assert conf.compute_manager == 'compute'
    assert conf.fake_driver.vcpus == 8
    assert conf.config_file == []


def test_the_database_is_sqlite_under_state_path(tmp_path: Path) -> None:
    conf = make_conf(tmp_path)

    assert Database(conf).url == 'sqlite:///%s' % (tmp_path / 'svcframe.sqlite')


def test_overrides_are_applied_by_group(tmp_path: Path) -> None:
    conf = make_conf(tmp_path, {'DEFAULT': {'report_interval': 3, 'host': 'node-9'},
                                None: {'compute_manager': 'acme'},
                                'fake_driver': {'vcpus': 2}})

    assert (conf.report_interval, conf.host, conf.compute_manager) == (3, 'node-9', 'acme')
    assert conf.fake_driver.vcpus == 2


def test_a_plugins_options_are_registered_from_its_list_opts(tmp_path: Path) -> None:
    opts = [('acme', [cfg.IntOpt('batch_size', default=10, min=1)])]

    conf = make_conf(tmp_path, {'acme': {'batch_size': 4}}, opts=opts)

    assert conf.acme.batch_size == 4
    conf.clear_override('batch_size', group='acme')
    assert conf.acme.batch_size == 10


def test_an_unknown_option_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(cfg.NoSuchOptError):
        make_conf(tmp_path, {'DEFAULT': {'no_such_option': 1}})


def test_a_tests_own_override_wins_and_clearing_it_restores_the_test_default(
        tmp_path: Path) -> None:
    conf = make_conf(tmp_path)

    conf.set_override('host', 'elsewhere')
    assert conf.host == 'elsewhere'
    conf.clear_override('host')
    assert conf.host == 'test-host'


def test_each_conf_is_independent_of_the_others_and_of_the_global_conf(
        tmp_path: Path) -> None:
    first = make_conf(tmp_path / 'a')
    second = make_conf(tmp_path / 'b', {'DEFAULT': {'host': 'second'}})

    assert (first.host, second.host) == ('test-host', 'second')
    assert first.state_path != second.state_path
    assert first is not cfg.CONF and second is not cfg.CONF
