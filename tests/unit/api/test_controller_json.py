"""parse_json and json_body: what a request body may hold, and the 400 for the rest.

A 400 names the client's value as JSON writes it (true, null, "5"), not as Python does.
"""

from __future__ import annotations

import json
import random

import pytest
import webob
import webob.exc
from oslo_config import cfg

from svcframe import context
from svcframe.api import auth
from svcframe.api import paging
from svcframe.api import policy
from svcframe.api import quotas
from svcframe.api.controller import MAX_JSON_DEPTH, parse_json
from svcframe.api.router import APIRouter
from svcframe.db.api import Database


def refusal(body: bytes) -> str:
    """The detail of the 400 that parse_json answers ``body`` with."""
    with pytest.raises(webob.exc.HTTPBadRequest) as raised:
        parse_json(body)
    return raised.value.detail


def nested(depth: int, opener: str = '[', closer: str = ']') -> bytes:
    return (opener * depth + closer * depth).encode()


def test_the_depth_limit_itself_is_accepted() -> None:
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    objects = '{"a": ' * (MAX_JSON_DEPTH - 1) + '{}' + '}' * (MAX_JSON_DEPTH - 1)
    assert parse_json(objects.encode()) is not None


@pytest.mark.parametrize('body', [
    nested(MAX_JSON_DEPTH + 1),
    nested(50_000),
    ('{"a": ' * 50_000 + '1' + '}' * 50_000).encode(),
    b'[' * 50_000,  # never closed
    b'{"instance": ' + nested(40, '[', ']') + b'}',
])
def test_deeper_than_the_limit_is_a_400_naming_it(body: bytes) -> None:
    assert 'at most %d' % MAX_JSON_DEPTH in refusal(body)


@pytest.mark.parametrize('text', [
    '["%s"]' % ('[' * 100),                 # brackets in a string open nothing
    '["\\"%s"]' % ('{' * 100),              # nor after an escaped quote
    '["\\\\", %s1%s]' % ('[' * 30, ']' * 30),  # an escaped backslash ends no string
])
def test_brackets_inside_strings_do_not_count(text: str) -> None:
    assert parse_json(text.encode()) == json.loads(text)


def test_more_brackets_than_the_limit_side_by_side_are_fine() -> None:
    body = json.dumps({'items': [[{'a': [1]}] for _ in range(1000)]}).encode()
    assert len(parse_json(body)['items']) == 1000


@pytest.mark.parametrize('body, path', [
    (b'{"instance": {"name": "a\\ud800b"}}', 'instance.name'),
    (b'{"service": {"disabled_reason": "\\udfff"}}', 'service.disabled_reason'),
    (b'{"tags": ["fine", "\\udc00\\ud800"]}', 'tags[1]'),  # a pair the wrong way round
    (b'{"odd key": {"x": ["\\ud83d"]}}', '["odd key"].x[0]'),
    (b'"\\ud800"', '(the whole body)'),
])
def test_a_lone_surrogate_is_a_400_naming_the_field(body: bytes, path: str) -> None:
    detail = refusal(body)
    assert 'The string at %s is not valid Unicode' % path in detail
    assert 'surrogate' in detail


def test_a_lone_surrogate_in_a_field_name_is_named_by_its_escape() -> None:
    detail = refusal(b'{"instance": {"\\ud800": 1}}')
    assert 'The name of field instance["\\ud800"] is not valid Unicode' in detail
    detail.encode('utf-8')  # the detail itself is text that can be sent


def test_a_surrogate_pair_is_the_character_it_encodes() -> None:
    assert parse_json(b'{"name": "\\ud83d\\ude00"}') == {'name': '\U0001f600'}


def test_nul_is_a_400_naming_the_field() -> None:
    assert 'The string at instance.name has a NUL character' in refusal(
        b'{"instance": {"name": "a\\u0000"}}')


@pytest.mark.parametrize('body', [
    b'{"name": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 bytes
    b'{"name": "\xff"}',
])
def test_bytes_that_are_not_utf8_are_a_400(body: bytes) -> None:
    assert 'not valid UTF-8' in refusal(body)


@pytest.mark.parametrize('body', [b'NaN', b'[Infinity]', b'{"vcpus": -Infinity}'])
def test_nan_and_infinity_are_not_json(body: bytes) -> None:
    assert 'is not a JSON value' in refusal(body)


def test_utf16_with_a_bom_is_still_read() -> None:
    assert parse_json('{"name": "x"}'.encode('utf-16')) == {'name': 'x'}


def test_an_empty_body_is_null() -> None:
    assert parse_json(b'') is None


def test_random_bytes_are_a_document_or_a_400() -> None:
    # No input may escape as another exception: that would be a 500.
    rng = random.Random(11)
    alphabet = b'[]{}",:\\u0123456789abcdefnulltruefalse \xed\xa0\x80\xff'
    for _ in range(3000):
        body = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 80)))
        try:
            parse_json(body)
        except webob.exc.HTTPBadRequest:
            pass


@pytest.fixture
def api(conf: cfg.ConfigOpts, database: Database) -> APIRouter:
    return APIRouter(conf, policy.make_enforcer(conf), database)


def call(api: APIRouter, method: str, path: str, body: bytes) -> webob.Response:
    req = webob.Request.blank(path, method=method, body=body)
    req.environ[auth.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id='p', roles=['admin'], is_admin=True, overwrite=False)
    return req.get_response(api)


@pytest.mark.parametrize('method, path, body, expected', [
    ('POST', '/instances', nested(50_000), 'at most %d' % MAX_JSON_DEPTH),
    ('POST', '/instances', b'{"instance": {"name": "a\\ud800b", "vcpus": 1, "memory_mb": 1}}',
     'instance.name'),
    ('PUT', '/services/1', b'{"status": "disabled", "disabled_reason": "a\\ud800b"}',
     'disabled_reason'),
    ('PUT', '/services/1', nested(50_000, '{"a":', '}'), 'at most %d' % MAX_JSON_DEPTH),
])
def test_the_api_answers_bad_bodies_with_a_json_400(
        api: APIRouter, method: str, path: str, body: bytes, expected: str) -> None:
    response = call(api, method, path, body)

    assert response.status_code == 400
    assert response.json['error']['code'] == 400
    assert expected in response.json['error']['message']


@pytest.mark.parametrize('value, shown', [(True, 'not true'), (False, 'not false'),
                                          (None, 'not null'), ('5', 'not "5"'),
                                          ([1], 'not [1]'), (2.5, 'not 2.5')])
def test_a_bad_quota_limit_is_named_in_json_terms(value: object, shown: str) -> None:
    assert quotas.limit_problem(value).endswith(shown)


@pytest.mark.parametrize('text, shown', [('abc', 'not "abc".'), ('true', 'not "true".'),
                                         ('-1', 'not "-1".'), ('a"b', 'not "a\\"b".')])
def test_a_bad_query_number_is_quoted_as_json_text(text: str, shown: str) -> None:
    with pytest.raises(webob.exc.HTTPBadRequest) as raised:
        paging.positive_int({'limit': text}, 'limit', 'a whole number of 1 or more')
    assert raised.value.detail.endswith(shown)
