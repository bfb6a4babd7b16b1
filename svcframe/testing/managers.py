"""make_manager(): a manager to call directly, its collaborators replaced."""

from __future__ import annotations

from typing import Any, TypeVar

from oslo_config import cfg

from svcframe import manager as svcframe_manager

M = TypeVar('M', bound=svcframe_manager.Manager)


def make_manager(manager_class: type[M], conf: cfg.ConfigOpts,
                 host: str | None = None, service_name: str = 'compute',
                 **collaborators: Any) -> M:
    """Build ``manager_class`` as a service would, then set ``collaborators``.

    Each keyword names an attribute the constructor set (for example a
    client it would otherwise open in ``init_host()``, or
    ``transport``) and gives the fake that replaces it. A name the manager
    has no attribute for raises AttributeError: it is most likely a typo
    that would leave the real collaborator in place. Nothing is started:
    call ``init_host()``, RPC methods and periodic tasks yourself.
    """
    manager = manager_class(host=host or conf.host, service_name=service_name, conf=conf)
    for name, fake in collaborators.items():
        if not hasattr(manager, name):
            raise AttributeError(
                '%s has no attribute %r to replace; set it in __init__ (None '
                'until init_host() opens it) so a test can replace it'
                % (manager_class.__name__, name))
        setattr(manager, name, fake)
    return manager
