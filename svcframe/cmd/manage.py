"""svcframe-manage: operator commands on the database and the service registry.

    svcframe-manage [--config-file F] db sync | db version
    svcframe-manage [--config-file F] service list [--host H] [--binary B]
    svcframe-manage [--config-file F] service enable ID
    svcframe-manage [--config-file F] service disable ID [--reason TEXT]
    svcframe-manage [--config-file F] service force-down ID [--unset]
    svcframe-manage [--config-file F] service delete ID
"""

from __future__ import annotations

import sys
from typing import NoReturn


def main() -> NoReturn:
    # No monkey-patching: these commands run once and need no green threads.
    from svcframe import backend
    backend.setup('svcframe-manage', green_threads=False)

    from svcframe.cmd import manage_commands

    sys.exit(manage_commands.run(sys.argv[1:]))
