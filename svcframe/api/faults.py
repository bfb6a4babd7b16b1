"""FaultWrapper: no traceback and no HTML ever reaches a client.

Any exception from the apps and filters inside it becomes a JSON 500 (logged
with its traceback and request id), a webob HTTP error becomes its JSON form,
and an error response that inner middleware rendered as HTML or text (a 413
from the body size limit, say) is rewritten as JSON.
"""

from __future__ import annotations

import webob
import webob.dec
import webob.exc
from oslo_log import log as logging

from svcframe.api import errors
from svcframe.api import middleware

LOG = logging.getLogger(__name__)


class FaultWrapper(middleware.Middleware):

    @webob.dec.wsgify
    def __call__(self, req: webob.Request) -> webob.Response:
        try:
            response = req.get_response(self.application)
        except webob.exc.HTTPException as error:
            return errors.from_http_exception(error)
        except Exception:
            LOG.exception('Request %s %s failed (request id %s)', req.method,
                          req.path, req.environ.get('openstack.request_id'))
            return errors.error_response(
                500, 'The server failed to handle the request; its log has '
                     'the details under this request id.')
        if response.status_code >= 400 and response.content_type != 'application/json':
            return _as_json(response)
        return response


def _as_json(response: webob.Response) -> webob.Response:
    message = errors.title_for(response.status_code)
    if response.content_type == 'text/plain' and response.body:
        message = response.text.strip().splitlines()[-1]
    converted = errors.error_response(response.status_code, message,
                                      response.status.split(' ', 1)[-1])
    for name, value in response.headers.items():
        if name.lower() not in ('content-type', 'content-length'):
            converted.headers[name] = value
    return converted
