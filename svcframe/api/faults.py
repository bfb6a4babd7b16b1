"""FaultWrapper: no traceback and no HTML ever reaches a client.

Any exception from the apps and filters inside it becomes a JSON 500 (logged
with its traceback and request id), a webob HTTP error becomes its JSON form,
and an error response that inner middleware rendered as HTML or text (a 413
from the body size limit, say) is rewritten as JSON.

A request body that cannot be read is the client's doing, not a fault: a
client that went away halfway, or one too slow (svcframe.wsgi.body.BodyError
from svcframe's server, webob's DisconnectionError under any server). That
is one INFO line and the 4xx the server gave the reason for (svcframe's own
server then answers it itself, or not at all when the client is gone).
Method, path and request id are escaped in every line (svcframe.log_text).

It is plain WSGI rather than webob: it wraps every request, and a successful
response passes through it untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import webob
import webob.exc
import webob.request
from oslo_log import log as logging

from svcframe import log_text
from svcframe.api import errors
from svcframe.api import middleware
from svcframe.wsgi import body as wsgi_body

LOG = logging.getLogger(__name__)


class FaultWrapper(middleware.Middleware):

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        held: list[tuple[str, list]] = []

        def start_or_hold(status: str, headers: list, exc_info=None):
            if status[0] in '45' and not _is_json(headers):
                held.append((status, headers))  # rewritten below
                return lambda data: None
            return start_response(status, headers, exc_info)

        try:
            body = self.application(environ, start_or_hold)
            if held:
                text = _drain(body)
        except webob.exc.HTTPException as error:
            return errors.from_http_exception(error)(environ, start_response)
        except (wsgi_body.BodyError, webob.request.DisconnectionError) as error:
            return _unreadable_body(environ, error)(environ, start_response)
        except Exception:
            LOG.exception('Request %s failed (request id %s)', _describe(environ),
                          log_text.escape(str(environ.get('openstack.request_id'))))
            response = errors.error_response(
                500, 'The server failed to handle the request; its log has '
                     'the details under this request id.')
            return response(environ, start_response)
        if not held:
            return body
        return _as_json(*held[0], text)(environ, start_response)


def _describe(environ: dict) -> str:
    """The method and path of a request, escaped for a log line."""
    return log_text.escape('%s %s' % (environ.get('REQUEST_METHOD'),
                                      environ.get('SCRIPT_NAME', '') +
                                      environ.get('PATH_INFO', '')))


def _unreadable_body(environ: dict, error: OSError) -> webob.Response:
    status = getattr(error, 'status', None) or 400
    LOG.info('Request %s: its body could not be read: %s (request id %s)',
             _describe(environ), log_text.escape(str(error)),
             log_text.escape(str(environ.get('openstack.request_id'))))
    return errors.error_response(int(status), 'The request body could not be read: %s.'
                                 % str(error).rstrip('.'))


def _is_json(headers: list[tuple[str, str]]) -> bool:
    return any(name.lower() == 'content-type' and value.startswith('application/json')
               for name, value in headers)


def _drain(body: Iterable[bytes]) -> str:
    try:
        return b''.join(body).decode('utf-8', 'replace')
    finally:
        if hasattr(body, 'close'):
            body.close()


def _as_json(status: str, headers: list[tuple[str, str]], text: str) -> webob.Response:
    code = int(status.split(' ', 1)[0])
    content_type = dict((name.lower(), value) for name, value in headers).get(
        'content-type', '')
    message = errors.title_for(code)
    if content_type.startswith('text/plain') and text.strip():
        message = text.strip().splitlines()[-1]
    response = errors.error_response(code, message, status.split(' ', 1)[-1])
    for name, value in headers:
        if name.lower() not in ('content-type', 'content-length'):
            response.headers[name] = value
    return response
