"""Schema migrations with alembic: ``svcframe-manage db sync`` and ``db version``."""

from __future__ import annotations

import os

from alembic import command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from svcframe.db.api import Database

MIGRATIONS = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(connection: object) -> alembic_config.Config:
    config = alembic_config.Config()
    config.set_main_option('script_location', MIGRATIONS)
    config.attributes['connection'] = connection
    return config


def sync(database: Database, revision: str = 'head') -> None:
    """Upgrade the schema to ``revision``; a no-op when it is there."""
    with database.engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def version(database: Database) -> str | None:
    """The schema's revision, None before the first sync."""
    with database.engine.connect() as connection:
        return alembic_migration.MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    return alembic_script.ScriptDirectory.from_config(_config(None)).get_current_head()
