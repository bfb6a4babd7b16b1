from __future__ import annotations

from pathlib import Path

import pytest
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe.cmd import manage_commands
from svcframe.db import migration
from svcframe.db.api import Database


def test_service_list_shows_every_record_however_small_the_api_pages(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf.register_cli_opt(manage_commands.CATEGORY)
    conf(['service', 'list'], project='svcframe-unit-tests', default_config_files=[])
    conf.set_override('state_path', str(tmp_path))
    conf.set_override('max_limit', 1, group='api')
    database = Database(conf)
    try:
        migration.sync(database)
        for index in range(3):
            database.service_create('node-%d' % index, 'svcframe-compute', 'compute')

        assert manage_commands.service_list(conf, database) == 0
    finally:
        database.close()

    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[0] == 'id'
    assert [row.split()[2] for row in rows] == ['node-0', 'node-1', 'node-2']
