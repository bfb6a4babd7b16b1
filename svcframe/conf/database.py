"""oslo.db's [database] options (connection, pool, retries).

``[database] connection`` left unset means a SQLite file under
``[DEFAULT] state_path``: the embedded default. The sample config lists these
options under oslo.db's own namespace.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_db import options as db_options


def register_opts(conf: cfg.ConfigOpts) -> None:
    db_options.set_defaults(conf)


def list_opts() -> list:
    return []
