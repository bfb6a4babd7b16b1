"""``GET /healthcheck/ready``: whether this API's requests can succeed.

``/healthcheck`` (oslo.middleware) is liveness: the process serves. This is
readiness, for a load balancer: the database answers and the service
registry has a conductor up. Otherwise 503, with a JSON error that names
what is missing. The answer is kept for CACHE_SECONDS, so that probes every
second from many balancers cost one query a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import webob
from oslo_config import cfg

from svcframe import exception
from svcframe import servicegroup
from svcframe.api import errors
from svcframe.db.api import Database

CACHE_SECONDS = 1.0
CONDUCTOR_BINARY = 'svcframe-conductor'


class Readiness:
    """The WSGI app of ``/healthcheck/ready``."""

    def __init__(self, conf: cfg.ConfigOpts, database: Database,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.conf = conf
        self.database = database
        self.clock = clock
        self._checked_at: float | None = None
        self._problem: str | None = None

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> Readiness:
        """The ``paste.app_factory``; like the other factories it reads the
        process's global CONF. Connects on the first probe, in the worker."""
        return cls(cfg.CONF, Database(cfg.CONF))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        problem = self.problem()
        if problem is None:
            response = webob.Response(json_body={'status': 'ready'}, charset=None)
        else:
            response = errors.error_response(503, 'Not ready: %s.' % problem)
        response.cache_control = 'no-store'
        return response(environ, start_response)

    def problem(self) -> str | None:
        """What keeps this API from serving, or None; at most CACHE_SECONDS old."""
        now = self.clock()
        if self._checked_at is None or now - self._checked_at >= CACHE_SECONDS:
            self._problem = self._check()
            self._checked_at = now
        return self._problem

    def _check(self) -> str | None:
        try:
            conductors = self.database.service_get_all(binary=CONDUCTOR_BINARY)
        except exception.SchemaMismatch as error:
            return str(error)
        except exception.DatabaseUnavailable as error:
            return 'the database does not answer (%s)' % error
        cutoff = servicegroup.up_cutoff(self.conf)
        if any(servicegroup.is_up(service, self.conf, cutoff=cutoff) for service in conductors):
            return None
        return ('no %s is up in the service registry (%d registered; a service is up when '
                'seen within [DEFAULT] service_down_time = %d s)'
                % (CONDUCTOR_BINARY, len(conductors), self.conf.service_down_time))
