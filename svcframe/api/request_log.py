"""RequestLog: one line per API request, with its request id and caller.

The server's access log (``[wsgi] wsgi_log_format``) already has a line per
request at INFO, so this one is at DEBUG for a success and INFO for an
error. It names the request id that ties the request to the log lines of
every service it reached, and it is written under gunicorn or uWSGI too.
"""

from __future__ import annotations

import logging as std_logging
import time
from collections.abc import Callable, Iterable

from oslo_log import log as logging

from svcframe.api import auth
from svcframe.api import middleware

LOG = logging.getLogger(__name__)


class RequestLog(middleware.Middleware):

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.monotonic()
        statuses: list[str] = []

        def start(status: str, headers: list, exc_info=None):
            statuses.append(status)
            return start_response(status, headers, exc_info)

        body = self.application(environ, start)
        code = int(statuses[-1][:3]) if statuses else 0
        level = std_logging.INFO if code >= 400 else std_logging.DEBUG
        # The standard logger's check is cached; the oslo adapter's is not.
        if LOG.logger.isEnabledFor(level):
            identity = environ.get(auth.IDENTITY_KEY) or {}
            LOG.log(level, '%(method)s %(path)s -> %(status)s in %(seconds).3f s '
                    '(request id %(request_id)s, user %(user)s)',
                    {'method': environ.get('REQUEST_METHOD'),
                     'path': environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', ''),
                     'status': code, 'seconds': time.monotonic() - started,
                     'request_id': environ.get('openstack.request_id'),
                     'user': identity.get('user_id', '-')})
        return body
