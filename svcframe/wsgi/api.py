"""The API as a standard WSGI application, for gunicorn, uWSGI or mod_wsgi.

    SVCFRAME_CONFIG_FILES=/etc/svcframe/svcframe.conf \\
        gunicorn --workers 2 --bind 127.0.0.1:8774 svcframe.wsgi.api:application

``SVCFRAME_CONFIG_FILES`` is a comma-separated list of config files and
``SVCFRAME_CONFIG_DIR`` a config directory; without them the default files
of project svcframe are read. The app is the same paste app ``api`` that
svcframe-api serves (``[wsgi] api_paste_config``); ``[api] listen``, ``port``
and ``workers`` are the WSGI server's business then, not svcframe's.

Importing this module parses the configuration and loads the app: that is
what a WSGI entry point is for.

``[api] auth_strategy = noauth`` makes every caller an admin. svcframe-api
allows it on loopback; here the bind address is the WSGI server's, which
svcframe cannot see, so noauth loads only with ``[api] allow_insecure_noauth
= True``, whatever the bind.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from oslo_config import cfg

from svcframe import config
from svcframe import exception
from svcframe.wsgi import loader

CONFIG_FILES_VARIABLE = 'SVCFRAME_CONFIG_FILES'
CONFIG_DIR_VARIABLE = 'SVCFRAME_CONFIG_DIR'


def config_args(environ: dict[str, str]) -> list[str]:
    """The oslo.config command line that the environment describes."""
    args = []
    for path in environ.get(CONFIG_FILES_VARIABLE, '').split(','):
        if path.strip():
            args += ['--config-file', path.strip()]
    if environ.get(CONFIG_DIR_VARIABLE):
        args += ['--config-dir', environ[CONFIG_DIR_VARIABLE]]
    return args


def refuse_insecure_noauth(conf: cfg.ConfigOpts) -> None:
    """ConfigError for noauth unless allow_insecure_noauth says it is meant."""
    if conf.api.auth_strategy != 'noauth' or conf.api.allow_insecure_noauth:
        return
    raise exception.ConfigError(
        "svcframe.wsgi.api: [api] auth_strategy = 'noauth' makes every caller an "
        'admin, and the address a WSGI server binds cannot be checked: use '
        "auth_strategy = 'http_basic', or set [api] allow_insecure_noauth = True "
        'if only trusted clients reach the server')


def init_application(environ: dict[str, str],
                     conf: cfg.ConfigOpts | None = None) -> Callable:
    conf = cfg.CONF if conf is None else conf
    config.parse_args(config_args(environ), 'svcframe-api', conf)
    refuse_insecure_noauth(conf)
    return loader.load_app(conf, 'api')


application = init_application(dict(os.environ))
