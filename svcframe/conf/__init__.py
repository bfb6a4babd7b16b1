"""svcframe's options, one module per option group.

Nothing registers at import. ``register_all(conf)`` registers every group on
the ConfigOpts it is given; ``svcframe.conf.opts.list_opts`` feeds
oslo-config-generator.
"""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import api
from svcframe.conf import compute
from svcframe.conf import conductor
from svcframe.conf import database
from svcframe.conf import default
from svcframe.conf import fake_driver
from svcframe.conf import log
from svcframe.conf import messaging
from svcframe.conf import metrics
from svcframe.conf import quota
from svcframe.conf import reports
from svcframe.conf import scheduler
from svcframe.conf import service
from svcframe.conf import upgrade_levels
from svcframe.conf import wsgi

GROUP_MODULES = (log, default, service, messaging, database, api, wsgi, conductor,
                 scheduler, compute, fake_driver, quota, upgrade_levels, reports, metrics)


def register_all(conf: cfg.ConfigOpts) -> None:
    for module in GROUP_MODULES:
        module.register_opts(conf)
