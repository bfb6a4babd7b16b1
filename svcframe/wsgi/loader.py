"""Load the API's WSGI application from a PasteDeploy file."""

from __future__ import annotations

import os
from collections.abc import Callable

from oslo_config import cfg
from paste import deploy

from svcframe import exception

WSGIApp = Callable


def find_paste_config(conf: cfg.ConfigOpts) -> str:
    """The absolute path of ``[wsgi] api_paste_config``.

    A relative name is looked up like a config file: in the --config-dir
    directories, next to the --config-file files, then in the default config
    directories of project svcframe.
    """
    name = conf.wsgi.api_paste_config
    if os.path.isabs(name):
        path: str | None = name
    else:
        path = conf.find_file(name)
    if path is None or not os.path.isfile(path):
        raise exception.PasteConfigNotFound(name, _searched(conf, name))
    return os.path.abspath(path)


def _searched(conf: cfg.ConfigOpts, name: str) -> list[str]:
    if os.path.isabs(name):
        return [name]
    directories = list(conf.config_dir or [])
    directories += [os.path.dirname(os.path.abspath(path))
                    for path in conf.config_file or []]
    directories += ['~/.svcframe', '~/', '/etc/svcframe', '/etc']
    return list(dict.fromkeys(directories))


def load_app(conf: cfg.ConfigOpts, name: str) -> WSGIApp:
    """Load app ``name`` from the paste file ``[wsgi] api_paste_config``."""
    path = find_paste_config(conf)
    try:
        return deploy.loadapp('config:%s' % path, name=name)
    except LookupError as error:
        if 'No section' in str(error) and repr(name) in str(error):
            raise exception.PasteAppNotFound(path, name) from None
        raise exception.PasteAppLoadError(path, name, str(error)) from error
    except exception.SvcframeError:
        raise
    except Exception as error:
        raise exception.PasteAppLoadError(
            path, name, '%s: %s' % (type(error).__name__, error)) from error
