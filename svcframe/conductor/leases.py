"""LeaseKeeper: one conductor's side of the leases on instances on their way.

See svcframe/db/leases.py for what a lease is. A conductor holds the lease of
each instance it works on, under a name of its own process; it renews the
leases of the instances it is scheduling, and gives each step it sends to a
compute host [conductor] host_step_timeout to be reported.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator

import sqlalchemy as sa
from oslo_config import cfg
from oslo_utils import uuidutils

from svcframe.db import leases
from svcframe.db import models
from svcframe.db.api import Database


class LeaseKeeper:
    """The leases this conductor process holds."""

    def __init__(self, database: Database, conf: cfg.ConfigOpts, host: str) -> None:
        self.database = database
        self.conf = conf
        # Unique per process: a conductor restarted under the same host name
        # must not pass for the one that died.
        self.holder = '%s/%d/%s' % (host, os.getpid(), uuidutils.generate_uuid()[:8])
        # Being scheduled here: their leases are renewed until a host has them.
        self.scheduling: set[str] = set()

    @property
    def lease_seconds(self) -> int:
        return self.conf.conductor.lease_seconds

    @property
    def step_seconds(self) -> int:
        return self.conf.conductor.host_step_timeout

    def step_deadline(self) -> datetime.datetime:
        return leases.expiry(self.step_seconds)

    def take(self, uuid: str, state: str) -> bool:
        """Hold a new request's instance; False when another conductor does."""
        return leases.take(self.database, uuid, self.holder, self.lease_seconds, state)

    def renew(self) -> None:
        leases.renew(self.database, self.holder, list(self.scheduling), self.lease_seconds)

    def take_expired(self) -> Iterator[sa.Row]:
        """The instances whose lease expired that this conductor now holds."""
        for row in leases.expired(self.database):
            if leases.take_over(self.database, row, self.holder, self.lease_seconds):
                yield row

    def give_step_to(self, uuid: str, host: str) -> list[str] | None:
        """A build goes to ``host`` again; the hosts tried, or None when
        this conductor no longer holds the instance."""
        return leases.hand_to_host(self.database, uuid, self.holder, host, self.step_seconds)

    def past_bound(self, row: sa.Row) -> bool:
        """Whether the request under way is older than [conductor] action_timeout."""
        started = row.task_started_at or row.created_at
        return models.utcnow() - started > datetime.timedelta(
            seconds=self.conf.conductor.action_timeout)
