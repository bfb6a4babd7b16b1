"""Query parameters and pages of the API's collections.

Every collection takes a known set of query parameters, each at most once:
an unknown one is a 400 that lists the known ones rather than ignored, as
``?hosts=node-1`` would otherwise list everything to an admin about to act
on what it lists. A collection comes in pages of at most ``[api] max_limit``
records (``?limit=`` asks for fewer); ``?marker=`` is the id of the last
record of the previous page, and a page with more after it carries a "next"
link in ``<collection>_links``.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

import webob
import webob.exc
from oslo_config import cfg


def list_parameters(req: webob.Request, allowed: Sequence[str]) -> dict[str, str]:
    """The query parameters of a list, each given at most once; 400 for others."""
    unknown = sorted(set(req.GET) - set(allowed))
    if unknown:
        raise webob.exc.HTTPBadRequest(
            detail='Unknown query parameter(s) %s; allowed: %s.'
            % (', '.join(unknown), ', '.join(allowed)))
    repeated = sorted(name for name in set(req.GET) if len(req.GET.getall(name)) > 1)
    if repeated:
        raise webob.exc.HTTPBadRequest(
            detail='Query parameter(s) %s given more than once; give each once.'
            % ', '.join(repeated))
    return dict(req.GET)


def positive_int(params: dict[str, str], name: str, allowed: str) -> int | None:
    """Query parameter ``name`` as an int >= 1, None when absent; else a 400."""
    text = params.get(name)
    if text is None:
        return None
    # isascii(): int() takes other scripts' digits, and '+1' or ' 1'.
    if not (text.isascii() and text.isdigit() and int(text) >= 1):
        raise webob.exc.HTTPBadRequest(detail='"%s" must be %s, not %s.'
                                       % (name, allowed, json.dumps(text)))
    return int(text)


def page_limit(conf: cfg.ConfigOpts, params: dict[str, str]) -> int:
    """``?limit=``, capped by ``[api] max_limit`` (read per request: it is mutable)."""
    max_limit = conf.api.max_limit
    limit = positive_int(params, 'limit', 'a whole number of 1 or more (a page holds '
                         'at most %d, [api] max_limit)' % max_limit)
    return min(limit or max_limit, max_limit)


def page(req: webob.Request, params: dict[str, str], kind: str, records: Sequence[Any],
         limit: int, view: Callable[[Any], dict[str, Any]],
         marker_of: Callable[[Any], object]) -> dict[str, Any]:
    """``{kind: [view(record), ...]}`` for a page, with a next link when more follow.

    ``records`` holds up to one more than the page, fetched to tell whether
    a next page exists; ``marker_of(record)`` is the marker that follows it.
    """
    document: dict[str, Any] = {kind: [view(record) for record in records[:limit]]}
    if len(records) > limit:
        document['%s_links' % kind] = [
            {'rel': 'next', 'href': next_link(req, params, marker_of(records[limit - 1]))}]
    return document


def next_link(req: webob.Request, params: dict[str, str], marker: object) -> str:
    """This request's URL, with ``marker`` moved on to the last record shown."""
    query = dict(params, marker=str(marker))
    return '%s?%s' % (req.path_url, urllib.parse.urlencode(sorted(query.items())))
