"""The body shared by the main() of every svcframe binary.

Imported only after the caller's main() has set up the backend (svcframe.backend).
"""

from __future__ import annotations

import gc
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

from oslo_config import cfg
from oslo_log import log as logging

from svcframe import backend
from svcframe import config
from svcframe import exception
from svcframe import exit_codes
from svcframe import launch
from svcframe import metrics
from svcframe.service import Service, WSGIService

LOG = logging.getLogger(__name__)

# Builds the service from the parsed configuration; returns it with the
# number of processes to run it in.
ServiceBuilder = Callable[[cfg.ConfigOpts], tuple[object, int]]


def serve(binary: str, workers_group: str | None = None) -> NoReturn:
    """Run the manager service of ``binary``.

    ``workers_group`` names the option group whose ``workers`` option sets
    the number of processes; without it the service runs in one process.
    """
    def build(conf: cfg.ConfigOpts) -> tuple[object, int]:
        service = Service.create(binary=binary, conf=conf)
        return service, conf[workers_group].workers if workers_group else 1
    run(binary, build)


def serve_api(name: str = 'api') -> NoReturn:
    """Run the WSGI service of option group ``name``, bound before forking."""
    def build(conf: cfg.ConfigOpts) -> tuple[object, int]:
        service = WSGIService.create(name, conf)
        service.listen()
        return service, service.workers
    run('svcframe-%s' % name, build)


def run(binary: str, build: ServiceBuilder) -> NoReturn:
    """Parse the command line, build the service and launch it; exit."""
    conf = cfg.CONF
    try:
        config.parse_args(sys.argv[1:], binary, conf)
        service, workers = build(conf)
        # Loading plugins may have registered their own options.
        config.check_values(conf)
        check_before_start(service)
        metrics.enable(conf, binary, workers)
        metrics.serve(conf)
    except exception.ConfigError as error:
        exit_on_error(binary, error, exit_codes.CONFIG_ERROR)
    except exception.SchemaMismatch as error:
        # A deployment step left out (db sync), not a failure to retry.
        exit_on_error(binary, error, exit_codes.CONFIG_ERROR)
    except exception.ServiceStartError as error:
        exit_on_error(binary, error, exit_codes.START_FAILED)
    LOG.info('%s %s runs on the %s backend (%s)', binary, config.version(),
             backend.current(), backend.ENVIRONMENT)
    if conf.log_options:
        conf.log_opt_values(LOG, logging.DEBUG)
    # Everything imported and built so far lives as long as the process: the
    # collector need not walk it again on every full collection (tens of
    # thousands of objects from oslo, SQLAlchemy and eventlet), and forked
    # workers keep sharing those pages instead of copying them on write.
    gc.freeze()
    try:
        code = launch.launch(service, conf, lambda: config.reload(conf), workers)
    except Exception:
        LOG.exception('%s stopped on an unexpected error', binary)
        code = exit_codes.INTERNAL_ERROR
    finally:
        metrics.cleanup()
    sys.exit(code)


def check_before_start(service: object) -> None:
    """The manager's own check, once and before workers fork.

    The conductor's refuses a database schema it cannot use (the API's
    router does the same as its app loads, and the API has no manager).
    """
    if isinstance(service, Service):
        service.manager.check_before_start()


def exit_on_error(binary: str, error: exception.SvcframeError,
                  code: int) -> NoReturn:
    """One line on stderr; a plugin's own traceback follows when it broke."""
    print('%s: error: %s' % (binary, error), file=sys.stderr)
    if isinstance(error, (exception.PluginLoadError, exception.PasteAppLoadError)) \
            and error.__cause__:
        traceback.print_exception(error.__cause__, file=sys.stderr)
    sys.exit(code)
