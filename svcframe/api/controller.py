"""Controller: the base of every API resource, built in or from a plugin.

A controller method takes ``(self, req, **route_arguments)`` and returns a
dict (sent as JSON with status 200), a ``(status, dict)`` pair, or a webob
Response; it raises a ``webob.exc`` HTTP error for a 4xx answer, which the
fault wrapper renders as JSON.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import webob
import webob.exc
from oslo_config import cfg
from oslo_policy import policy

from svcframe import context as svcframe_context
from svcframe.api import auth

# Arrays and objects inside one another, the outermost counting as one. The
# API's own documents need 3; json.loads recurses once a level and would hit
# Python's recursion limit long before the body size limit.
MAX_JSON_DEPTH = 32

# A string, which opens no level whatever it holds. The closing quote is
# optional so that the pattern cannot fail once it has started: an
# unterminated string costs one pass, not one per quote in it.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r'[^\[\]{}]+')
_STEP = {'[': 1, '{': 1, ']': -1, '}': -1}
# Unpaired surrogates, and NUL. Decoding refuses them as bytes (and JSON
# refuses a raw NUL), so only a \u escape can put them in a string.
_BAD_TEXT = re.compile('[\0\ud800-\udfff]')
_PLAIN_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


def parse_json(body: bytes) -> Any:
    """The JSON document in a request body; 400 when it is not one svcframe takes.

    Besides invalid JSON: a document nested deeper than MAX_JSON_DEPTH, the
    non-standard constants NaN and Infinity, and strings that are not
    Unicode text (a ``\\ud800`` escape without its pair) or hold NUL. Each
    400 names the limit or the field.
    """
    text = _decode(body)
    if _nests_deeper_than(text, MAX_JSON_DEPTH):
        raise webob.exc.HTTPBadRequest(
            detail='The request body nests JSON arrays and objects more than %d levels '
                   'deep; at most %d are accepted.' % (MAX_JSON_DEPTH, MAX_JSON_DEPTH))
    try:
        document = json.loads(text or 'null', parse_constant=_refuse_constant)
    except ValueError as error:
        raise webob.exc.HTTPBadRequest(
            detail='The request body is not valid JSON: %s' % error) from None
    if '\\u' in text:
        _refuse_bad_text(document)
    return document


def _decode(body: bytes) -> str:
    # json.loads(bytes) would take UTF-16 and UTF-32 too; so does this.
    encoding = json.detect_encoding(body)
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as error:
        raise webob.exc.HTTPBadRequest(
            detail='The request body is not valid %s at byte %d; send UTF-8 JSON.'
            % (encoding.upper().replace('-SIG', ''), error.start)) from None


def _nests_deeper_than(text: str, limit: int) -> bool:
    """Whether json.loads(text) would open more than ``limit`` levels.

    Linear in the text and without recursion, so any depth is safe to
    measure. On invalid JSON it may count levels json.loads would never
    reach; that is a 400 either way.
    """
    if text.count('[') + text.count('{') <= limit:
        return False
    brackets = _NOT_BRACKET.sub('', _STRING.sub('', text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def _refuse_constant(name: str) -> Any:
    raise ValueError('%s is not a JSON value' % name)


def _refuse_bad_text(document: Any) -> None:
    for path, text, is_name in _strings(document):
        bad = _BAD_TEXT.search(text)
        if bad is None:
            continue
        what = 'The name of field %s' % path if is_name else 'The string at %s' % path
        if bad.group() == '\0':
            # Valid Unicode, but no SQL database stores it in a text column.
            problem = 'has a NUL character (\\u0000), which svcframe does not store'
        else:
            problem = ('is not valid Unicode: it has an unpaired surrogate (an escape '
                       'from \\ud800 to \\udfff without its pair)')
        raise webob.exc.HTTPBadRequest(detail='%s %s.' % (what, problem))


def _strings(document: Any) -> Iterator[tuple[str, str, bool]]:
    """(path, string, whether it is an object key) for each string, in document order."""
    # A stack rather than recursion; the depth is bounded above anyway.
    stack: list[tuple[str, Any]] = [('', document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path or '(the whole body)', value, False
        elif isinstance(value, dict):
            children = []
            for key, child in value.items():
                child_path = _field_path(path, key)
                yield child_path, key, True
                children.append((child_path, child))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([('%s[%d]' % (path, index), child)
                                   for index, child in enumerate(value)]))


def _field_path(parent: str, key: str) -> str:
    if _PLAIN_NAME.fullmatch(key):
        return '%s.%s' % (parent, key) if parent else key
    # json.dumps escapes what must not reach a reader raw: controls, surrogates.
    return '%s[%s]' % (parent, json.dumps(key))


class Controller:

    def __init__(self, conf: cfg.ConfigOpts, enforcer: policy.Enforcer) -> None:
        self.conf = conf
        self.enforcer = enforcer

    @staticmethod
    def context(req: webob.Request) -> svcframe_context.RequestContext:
        return req.environ[auth.CONTEXT_KEY]

    def authorize(self, req: webob.Request, rule: str,
                  target: dict[str, Any] | None = None) -> None:
        """Raise 403 unless the caller passes policy ``rule`` on ``target``."""
        context = self.context(req)
        target = target if target is not None else {'project_id': context.project_id}
        if not self.enforcer.enforce(rule, target, context.to_policy_values()):
            raise webob.exc.HTTPForbidden(
                detail='Policy %s does not allow this request.' % json.dumps(rule))

    @staticmethod
    def json_body(req: webob.Request, wrapper: str) -> dict[str, Any]:
        """The object under ``wrapper`` in a JSON request body, or 400."""
        document = parse_json(req.body)
        if not isinstance(document, dict) or not isinstance(document.get(wrapper), dict):
            raise webob.exc.HTTPBadRequest(
                detail='The request body must be a JSON object {"%s": {...}}.' % wrapper)
        return document[wrapper]
