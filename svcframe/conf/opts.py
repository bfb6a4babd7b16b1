"""The ``oslo.config.opts`` entry point: every option svcframe defines.

Options of the libraries svcframe uses (oslo.log, oslo.service) are listed by
those libraries' own namespaces; etc/svcframe/svcframe-config-generator.conf
names them all.
"""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import conductor
from svcframe.conf import default
from svcframe.conf import scheduler

_OWN_GROUP_MODULES = (default, conductor, scheduler)


def list_opts() -> list[tuple[str | cfg.OptGroup, list[cfg.Opt]]]:
    listed: list[tuple[str | cfg.OptGroup, list[cfg.Opt]]] = []
    for module in _OWN_GROUP_MODULES:
        listed.extend(module.list_opts())
    return listed
