"""RequestLog: one line per API request, with its request id and caller.

The server's access log (``[wsgi] wsgi_log_format``) names the client; this
line names the request id that ties it to the log lines of every service the
request reached, and it is written under gunicorn or uWSGI too.
"""

from __future__ import annotations

import time

import webob
import webob.dec
from oslo_log import log as logging

from svcframe.api import auth
from svcframe.api import middleware

LOG = logging.getLogger(__name__)


class RequestLog(middleware.Middleware):

    @webob.dec.wsgify
    def __call__(self, req: webob.Request) -> webob.Response:
        started = time.monotonic()
        response = req.get_response(self.application)
        identity = req.environ.get(auth.IDENTITY_KEY) or {}
        LOG.info('%(method)s %(path)s -> %(status)s in %(seconds).3f s '
                 '(request id %(request_id)s, user %(user)s)',
                 {'method': req.method, 'path': req.path_qs,
                  'status': response.status_code,
                  'seconds': time.monotonic() - started,
                  'request_id': req.environ.get('openstack.request_id'),
                  'user': identity.get('user_id', '-')})
        return response
