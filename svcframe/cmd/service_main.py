"""The body shared by the main() of every service binary.

Imported only after the caller's main() has monkey-patched eventlet.
"""

from __future__ import annotations

import sys
import traceback
from typing import NoReturn

from oslo_config import cfg
from oslo_log import log as logging

from svcframe import config
from svcframe import exception
from svcframe import exit_codes
from svcframe import launch
from svcframe.service import Service

LOG = logging.getLogger(__name__)


def serve(binary: str, workers_group: str | None = None) -> NoReturn:
    """Parse the command line, create the service for ``binary`` and run it.

    ``workers_group`` names the option group whose ``workers`` option sets
    the number of processes; without it the service runs in one process.
    """
    conf = cfg.CONF
    try:
        config.parse_args(sys.argv[1:], binary, conf)
        service = Service.create(binary=binary, conf=conf)
        # The manager's import may have registered a plugin's own options.
        config.check_values(conf)
        workers = conf[workers_group].workers if workers_group else 1
    except exception.ConfigError as error:
        exit_on_config_error(binary, error)
    if conf.log_options:
        conf.log_opt_values(LOG, logging.DEBUG)
    try:
        code = launch.launch(service, conf, lambda: config.reload(conf),
                             workers)
    except Exception:
        LOG.exception('%s stopped on an unexpected error', binary)
        code = exit_codes.INTERNAL_ERROR
    sys.exit(code)


def exit_on_config_error(binary: str, error: exception.ConfigError) -> NoReturn:
    """One line on stderr, exit 1; a broken plugin's traceback follows it."""
    print('%s: error: %s' % (binary, error), file=sys.stderr)
    if isinstance(error, exception.PluginLoadError) and error.__cause__:
        traceback.print_exception(error.__cause__, file=sys.stderr)
    sys.exit(exit_codes.CONFIG_ERROR)
