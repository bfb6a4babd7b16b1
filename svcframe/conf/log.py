"""oslo.log's formats, with svcframe's defaults: each line names its binary and host.

``%(binary)s`` and ``%(host)s`` are set on every record by
svcframe.logs.ServiceIdentity. The options stay oslo.log's own (the sample
config lists them under its namespace); only their defaults change.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_log import _options as log_options

_PREFIX = '%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(binary)s %(host)s %(name)s '
CONTEXT_FORMAT = (_PREFIX + '[%(global_request_id)s %(request_id)s %(user_identity)s] '
                  '%(instance)s%(message)s')
DEFAULT_FORMAT = _PREFIX + '[-] %(instance)s%(message)s'
EXCEPTION_PREFIX = ('%(asctime)s.%(msecs)03d %(process)d ERROR %(binary)s %(host)s '
                    '%(name)s %(instance)s')


def set_library_defaults() -> None:
    """Give oslo.log's own option objects svcframe's formats.

    oslo.log's set_defaults() covers only the context format; its option
    list is the one its list_opts() and register_options() use, so the
    sample config shows these defaults too.
    """
    cfg.set_defaults(log_options.log_opts,
                     logging_context_format_string=CONTEXT_FORMAT,
                     logging_default_format_string=DEFAULT_FORMAT,
                     logging_exception_prefix=EXCEPTION_PREFIX)


def register_opts(conf: cfg.ConfigOpts) -> None:
    # oslo.log registers its options itself (svcframe.config.parse_args), as
    # command-line options that must exist before parsing.
    set_library_defaults()


def list_opts() -> list:
    return []
