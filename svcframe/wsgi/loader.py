"""Load the API's WSGI application from a PasteDeploy file."""

from __future__ import annotations

import contextvars
import dataclasses
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from oslo_config import cfg
from oslo_log import log as logging
from paste import deploy

from svcframe import exception

if TYPE_CHECKING:
    import oslo_messaging as messaging

WSGIApp = Callable

LOG = logging.getLogger(__name__)

# The pipeline svcframe ships, installed with the package so that a wheel
# install serves without any file from the repository. The repository's
# etc/svcframe/api-paste.ini is a copy that a unit test keeps identical.
SHIPPED_PASTE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             'api-paste.ini')


@dataclasses.dataclass(frozen=True)
class AppResources:
    """What the process loading the app shares with it: svcframe-all its RPC
    transport, which its four services share. Paste factories take only
    strings from the paste file, so they ask resources() for it."""

    transport: messaging.Transport | None = None


# Set only while load_app() runs, for the factories it calls.
_LOADING: contextvars.ContextVar[AppResources] = contextvars.ContextVar(
    'svcframe_app_resources', default=AppResources())


def resources() -> AppResources:
    """For a paste factory: what load_app() was given (nothing by default)."""
    return _LOADING.get()


def find_paste_config(conf: cfg.ConfigOpts) -> str:
    """The absolute path of ``[wsgi] api_paste_config``.

    A relative name is looked up like a config file: in the --config-dir
    directories, next to the --config-file files, then in the default config
    directories of project svcframe. The shipped name, found in none of
    them, is the copy installed with the package; any other name, and an
    explicit path, must exist.
    """
    name = conf.wsgi.api_paste_config
    if os.path.isabs(name):
        path: str | None = name
    else:
        path = conf.find_file(name)
    if path is None and name == os.path.basename(SHIPPED_PASTE):
        path = SHIPPED_PASTE
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


def load_app(conf: cfg.ConfigOpts, name: str,
             shared: AppResources | None = None) -> WSGIApp:
    """Load app ``name`` from the paste file ``[wsgi] api_paste_config``,
    its factories given ``shared`` through resources()."""
    path = find_paste_config(conf)
    LOG.info('Loading app %r from paste file %s', name, path)
    loading = _LOADING.set(shared or AppResources())
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
    finally:
        _LOADING.reset(loading)
