"""oslo.middleware's RequestId and HTTPProxyToWSGI, called as plain WSGI.

oslo.middleware wraps every call in webob and inspects the signature of its
response hook on each request; on svcframe's hot path that cost a quarter of
the time of a whole request (bench/http_bench.py). These subclasses keep the
library's behaviour, its header and environ names and its options, and only
change how they are called.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import webob
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id

from svcframe import request_ids

INBOUND_ENVIRON_KEY = 'HTTP_' + request_id.INBOUND_HEADER.upper().replace('-', '_')


class RequestId(request_id.RequestId):
    """Gives every request an id, in the environ and in the response headers."""

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        global_id = environ.get(INBOUND_ENVIRON_KEY)
        if global_id and re.match(request_id.ID_FORMAT, global_id):
            environ[request_id.GLOBAL_REQ_ID] = global_id
        req_id = request_ids.generate()
        environ[request_id.ENV_REQUEST_ID] = req_id
        header = request_id.HTTP_RESP_HEADER_REQUEST_ID

        def start(status: str, headers: list, exc_info=None):
            if not any(name.lower() == header for name, _ in headers):
                headers = headers + [(header, req_id)]
            return start_response(status, headers, exc_info)

        return self.application(environ, start)


class HTTPProxyToWSGI(http_proxy_to_wsgi.HTTPProxyToWSGI):
    """Takes the scheme and host from proxy headers, when told to trust them."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Not a mutable option: read once rather than on every request.
        self.enabled = self._conf_get('enable_proxy_headers_parsing')

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.enabled:
            self.process_request(webob.Request(environ))
        return self.application(environ, start_response)
