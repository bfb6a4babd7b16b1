"""oslo.log's options, with svcframe's defaults: each line names its binary and host.

``%(binary)s`` and ``%(host)s`` are set on every record by
svcframe.logs.ServiceIdentity. The options stay oslo.log's own (the sample
config lists them under its namespace); only their defaults change.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_log import log

from svcframe import reach

_PREFIX = '%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(binary)s %(host)s %(name)s '
CONTEXT_FORMAT = (_PREFIX + '[%(global_request_id)s %(request_id)s %(user_identity)s] '
                  '%(instance)s%(message)s')
DEFAULT_FORMAT = _PREFIX + '[-] %(instance)s%(message)s'
EXCEPTION_PREFIX = ('%(asctime)s.%(msecs)03d %(process)d ERROR %(binary)s %(host)s '
                    '%(name)s %(instance)s')
# Libraries whose INFO lines say nothing an operator acts on.
QUIET_LOGGERS = ['alembic=WARN']


def set_library_defaults() -> None:
    """For the sample config: oslo.log's own option objects get svcframe's formats."""
    reach.set_log_sample_defaults(CONTEXT_FORMAT, DEFAULT_FORMAT, EXCEPTION_PREFIX)


def register_opts(conf: cfg.ConfigOpts) -> None:
    """svcframe's defaults for oslo.log's options, on this ConfigOpts only.

    oslo.log registers its options itself, before parsing, as they include
    command-line ones (svcframe.config.parse_args); its register_options()
    also gives the root logger a handler, which registration alone must not.
    A ConfigOpts without them (one built for a test) is left as it is.
    """
    if 'logging_context_format_string' not in conf:
        return
    conf.set_default('logging_context_format_string', CONTEXT_FORMAT)
    conf.set_default('logging_default_format_string', DEFAULT_FORMAT)
    conf.set_default('logging_exception_prefix', EXCEPTION_PREFIX)
    conf.set_default('default_log_levels', log.get_default_log_levels() + QUIET_LOGGERS)


def list_opts() -> list:
    return []
