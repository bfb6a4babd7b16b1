"""The JSON error document every API error is rendered as.

``{"error": {"code": 404, "title": "Not Found", "message": "..."}}``
"""

from __future__ import annotations

import json

import webob
import webob.exc


def title_for(status: int) -> str:
    error_class = webob.exc.status_map.get(status)
    return error_class.title if error_class else 'Error'


def error_body(status: int, message: str, title: str | None = None) -> bytes:
    document = {'error': {'code': status, 'title': title or title_for(status),
                          'message': message}}
    return json.dumps(document).encode()


def error_response(status: int, message: str, title: str | None = None,
                   headers: list[tuple[str, str]] | None = None) -> webob.Response:
    response = webob.Response(status=status, body=error_body(status, message, title),
                              content_type='application/json', charset=None)
    for name, value in headers or []:
        response.headers[name] = value
    return response


def from_http_exception(error: webob.exc.HTTPException) -> webob.Response:
    """The JSON form of a webob HTTP error, keeping headers like Allow."""
    message = error.detail or error.explanation or error.title
    kept = [(name, value) for name, value in error.headers.items()
            if name.lower() in ('allow', 'www-authenticate', 'retry-after', 'location')]
    return error_response(error.code, str(message), error.title, kept)
