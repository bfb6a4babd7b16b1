"""The version documents: ``GET /`` lists the versions, ``GET /v1`` describes one."""

from __future__ import annotations

from typing import Any

import webob

VERSION = {'id': 'v1', 'status': 'CURRENT', 'min_version': '1.0', 'version': '1.0'}


def version_document(req: webob.Request) -> dict[str, Any]:
    # The routers' APIRequest makes host_url the link base: [api]
    # public_endpoint, else a valid Host header, else the server's address.
    href = req.host_url + '/v1/'
    return dict(VERSION, links=[{'rel': 'self', 'href': href}])


def versions_document(req: webob.Request) -> dict[str, Any]:
    return {'versions': [version_document(req)]}
