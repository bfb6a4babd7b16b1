"""Unit-test fixtures: a fresh ConfigOpts per test, never the global CONF."""

from __future__ import annotations

from pathlib import Path

import pytest
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe.db import migration
from svcframe.db.api import Database


@pytest.fixture
def conf() -> cfg.ConfigOpts:
    """A parsed ConfigOpts with every svcframe option and no config files."""
    opts = cfg.ConfigOpts()
    svcframe_conf.register_all(opts)
    opts([], project='svcframe-unit-tests', default_config_files=[])
    return opts


@pytest.fixture
def write_config(tmp_path: Path):
    def write(text: str, name: str = 'svcframe.conf') -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


@pytest.fixture
def database(conf: cfg.ConfigOpts, tmp_path: Path):
    """A migrated SQLite registry under a temporary state_path."""
    conf.set_override('state_path', str(tmp_path / 'state'))
    database = Database(conf)
    migration.sync(database)
    yield database
    database.close()
