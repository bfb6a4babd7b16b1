"""The ``oslo.config.opts`` entry point: every option svcframe defines.

The options of oslo.service that svcframe honours are listed here too;
oslo.log's come from its own namespace. etc/svcframe/svcframe-config-generator.conf
names every namespace of the sample config.
"""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import conductor
from svcframe.conf import default
from svcframe.conf import scheduler
from svcframe.conf import service

_OWN_GROUP_MODULES = (default, service, conductor, scheduler)


def list_opts() -> list[tuple[str | cfg.OptGroup, list[cfg.Opt]]]:
    listed: list[tuple[str | cfg.OptGroup, list[cfg.Opt]]] = []
    for module in _OWN_GROUP_MODULES:
        listed.extend(module.list_opts())
    return listed
