"""Whether a service is up: not forced down, and seen within service_down_time."""

from __future__ import annotations

import datetime

from oslo_config import cfg

from svcframe.db import models


def is_up(service: models.Service, conf: cfg.ConfigOpts,
          now: datetime.datetime | None = None) -> bool:
    if service.forced_down or service.last_seen_up is None:
        return False
    now = now or models.utcnow()
    return (now - service.last_seen_up).total_seconds() <= conf.service_down_time


def state(service: models.Service, conf: cfg.ConfigOpts,
          now: datetime.datetime | None = None) -> str:
    return 'up' if is_up(service, conf, now) else 'down'
