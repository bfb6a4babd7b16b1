"""RequestLog: a line per API request where no server writes an access line.

svcframe's own HTTP server writes an access line for every request
(svcframe.wsgi.access_log) and marks the request's environ with
``access_log.ENVIRON_KEY``; this filter then writes nothing, so the default
pipeline gives one line per request. Under gunicorn, uWSGI or any other
server, the mark is absent and this filter writes the line: INFO for an
error status, DEBUG otherwise. It names the method, the path, the status,
the time spent in the pipeline, the request id that ties the request to the
log lines of every service it reached, and the caller; what the client sent
is escaped (svcframe.log_text), so the line stays one line.
"""

from __future__ import annotations

import logging as std_logging
import time
from collections.abc import Callable, Iterable

from oslo_log import log as logging

from svcframe import log_text
from svcframe.api import auth
from svcframe.api import middleware
from svcframe.wsgi import access_log

LOG = logging.getLogger(__name__)


class RequestLog(middleware.Middleware):

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get(access_log.ENVIRON_KEY):
            return self.application(environ, start_response)
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
                    {'method': log_text.escape(environ.get('REQUEST_METHOD', '')),
                     'path': log_text.escape(
                         environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')),
                     'status': code, 'seconds': time.monotonic() - started,
                     'request_id': log_text.escape(str(environ.get('openstack.request_id'))),
                     'user': log_text.escape(str(identity.get('user_id') or '-'))})
        return body
