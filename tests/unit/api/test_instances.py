from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import webob
from oslo_config import cfg
from oslo_policy import opts as policy_opts

from svcframe import context
from svcframe.api import auth
from svcframe.api import policy
from svcframe.api.router import APIRouter
from svcframe.db import instances
from svcframe.db.api import Database


class FakeConductor:
    def __init__(self) -> None:
        self.casts: list[tuple[str, str, str | None]] = []

    def build_instance(self, ctx: Any, instance: dict[str, Any]) -> None:
        assert instance['project_id'] == ctx.project_id
        self.casts.append(('build', instance['uuid'], ctx.project_id))

    def delete_instance(self, ctx: Any, instance_uuid: str) -> None:
        self.casts.append(('delete', instance_uuid, ctx.project_id))


@pytest.fixture
def conductor() -> FakeConductor:
    return FakeConductor()


@pytest.fixture
def api(conf: cfg.ConfigOpts, database: Database, conductor: FakeConductor) -> APIRouter:
    return APIRouter(conf, policy.make_enforcer(conf), database, conductor=conductor)


def call(api: APIRouter, method: str, path: str, body: object = None,
         project: str = 'p1', admin: bool = False) -> webob.Response:
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.body = body if isinstance(body, bytes) else json.dumps(body).encode()
    req.environ[auth.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id=project, roles=['admin'] if admin else ['member'],
        is_admin=admin, overwrite=False)
    return req.get_response(api)


def create(api: APIRouter, project: str = 'p1', **fields: Any) -> dict[str, Any]:
    body = {'instance': dict({'name': 'vm', 'vcpus': 1, 'memory_mb': 512}, **fields)}
    response = call(api, 'POST', '/instances', body, project=project)
    assert response.status_int == 202, response.body
    return response.json['instance']


def test_create_records_a_building_instance_and_casts_to_the_conductor(
        api: APIRouter, conductor: FakeConductor) -> None:
    instance = create(api, name='web-1', vcpus=2, memory_mb=1024)

    assert set(instance) == {'id', 'name', 'vcpus', 'memory_mb', 'state', 'host', 'fault',
                             'created_at', 'updated_at'}
    assert (instance['name'], instance['vcpus'], instance['memory_mb']) == ('web-1', 2, 1024)
    assert (instance['state'], instance['host'], instance['fault']) == ('building', None, None)
    assert conductor.casts == [('build', instance['id'], 'p1')]
    shown = call(api, 'GET', '/instances/%s' % instance['id']).json['instance']
    assert shown == instance


@pytest.mark.parametrize('body, message', [
    (b'{not json', 'not valid JSON'),
    ({'name': 'x'}, '{"instance": {...}}'),
    ({'instance': {'name': '', 'vcpus': 1, 'memory_mb': 1}}, '"name" must be'),
    ({'instance': {'name': 'x' * 256, 'vcpus': 1, 'memory_mb': 1}}, '"name" must be'),
    ({'instance': {'name': 7, 'vcpus': 1, 'memory_mb': 1}}, '"name" must be'),
    ({'instance': {'name': 'a\nCRITICAL forged', 'vcpus': 1, 'memory_mb': 1}},
     '"name" must not hold control characters, line separators or lone surrogates; '
     'it holds U+000A at position 1.'),
    ({'instance': {'name': 'vm\x1b[2J', 'vcpus': 1, 'memory_mb': 1}}, 'U+001B at position 2'),
    ({'instance': {'name': 'vm\u2028x', 'vcpus': 1, 'memory_mb': 1}}, 'U+2028 at position 2'),
    ({'instance': {'name': 'x', 'vcpus': 0, 'memory_mb': 1}}, '"vcpus" must be'),
    ({'instance': {'name': 'x', 'vcpus': True, 'memory_mb': 1}}, '"vcpus" must be'),
    ({'instance': {'name': 'x', 'vcpus': '2', 'memory_mb': 1}}, '"vcpus" must be'),
    ({'instance': {'name': 'x', 'vcpus': 1, 'memory_mb': 2 ** 31}}, '"memory_mb" must be'),
    ({'instance': {'name': 'x', 'vcpus': 1}}, '"memory_mb" must be'),
    ({'instance': {'name': 'x', 'vcpus': 1, 'memory_mb': 1, 'disk': 3}}, 'Unknown field'),
])
def test_a_bad_body_is_400_and_records_nothing(api: APIRouter, database: Database,
                                               conductor: FakeConductor, body: object,
                                               message: str) -> None:
    response = call(api, 'POST', '/instances', body)

    assert response.status_int == 400
    assert message in response.json['error']['message']
    assert instances.get_all(database) == [] and conductor.casts == []


def test_a_project_sees_its_own_and_an_admin_sees_all(api: APIRouter) -> None:
    mine = create(api, project='p1')
    theirs = create(api, project='p2')

    listed = call(api, 'GET', '/instances', project='p1').json['instances']
    assert [i['id'] for i in listed] == [mine['id']]
    everything = call(api, 'GET', '/instances', project='x', admin=True).json['instances']
    assert [i['id'] for i in everything] == [mine['id'], theirs['id']]
    assert call(api, 'GET', '/instances/%s' % theirs['id'], project='p1').status_int == 404
    assert call(api, 'DELETE', '/instances/%s' % theirs['id'], project='p1').status_int == 404
    assert call(api, 'GET', '/instances/%s' % theirs['id'], admin=True).status_int == 200
    # A caller without a project is not an admin: it sees none of these.
    assert call(api, 'GET', '/instances', project=None).json['instances'] == []


def test_delete_marks_deleting_and_casts_once(api: APIRouter, conductor: FakeConductor,
                                              database: Database) -> None:
    instance = create(api)

    assert call(api, 'DELETE', '/instances/%s' % instance['id']).status_int == 202
    assert call(api, 'DELETE', '/instances/%s' % instance['id']).status_int == 202

    assert instances.get(database, instance['id']).state == 'deleting'
    assert conductor.casts[1:] == [('delete', instance['id'], 'p1')]


@pytest.mark.parametrize('method', ['GET', 'DELETE'])
def test_an_unknown_id_is_404(api: APIRouter, method: str) -> None:
    response = call(api, method, '/instances/nope')

    assert response.status_int == 404
    assert response.json['error']['message'] == 'no instance with id nope'


@pytest.mark.parametrize('method', ['GET', 'DELETE'])
def test_another_projects_instance_answers_exactly_as_a_missing_one(
        api: APIRouter, conductor: FakeConductor, database: Database, method: str) -> None:
    theirs = create(api, project='p2')
    missing = '00000000-0000-0000-0000-000000000000'

    other = call(api, method, '/instances/%s' % theirs['id'], project='p1')
    absent = call(api, method, '/instances/%s' % missing, project='p1')

    assert other.status_int == absent.status_int == 404
    assert other.json == {'error': {'code': 404, 'title': 'Not Found',
                                     'message': 'no instance with id %s' % theirs['id']}}
    assert absent.json['error']['message'] == 'no instance with id %s' % missing
    assert instances.get(database, theirs['id']).state == 'building'
    assert [cast[0] for cast in conductor.casts] == ['build']


def test_a_caller_without_a_project_owns_nothing_and_creates_nothing(
        api: APIRouter, database: Database, conductor: FakeConductor) -> None:
    # Recorded before callers needed a project: nobody's but an admin's.
    orphan = instances.create(database, name='old', vcpus=1, memory_mb=1, project_id=None,
                              user_id='u')

    assert call(api, 'GET', '/instances', project=None).json['instances'] == []
    assert call(api, 'GET', '/instances/%s' % orphan.uuid, project=None).status_int == 404
    assert call(api, 'DELETE', '/instances/%s' % orphan.uuid, project=None).status_int == 404
    response = call(api, 'POST', '/instances',
                    {'instance': {'name': 'vm', 'vcpus': 1, 'memory_mb': 1}}, project=None)
    assert response.status_int == 403
    assert 'needs a project' in response.json['error']['message']
    assert [row.uuid for row in instances.get_all(database)] == [orphan.uuid]
    assert conductor.casts == []
    assert call(api, 'GET', '/instances/%s' % orphan.uuid, admin=True).status_int == 200


def test_an_owner_refused_by_policy_gets_403_not_404(
        conf: cfg.ConfigOpts, database: Database, conductor: FakeConductor,
        tmp_path: Path) -> None:
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"instances:delete": "rule:context_is_admin"\n')
    policy_opts.set_defaults(conf, policy_file=str(rules))
    api = APIRouter(conf, policy.make_enforcer(conf), database, conductor=conductor)
    mine = create(api, project='p1')

    response = call(api, 'DELETE', '/instances/%s' % mine['id'], project='p1')

    assert response.status_int == 403
    assert call(api, 'GET', '/instances/%s' % mine['id'], project='p1').status_int == 200
    assert response.json['error']['message'] == \
        'Policy "instances:delete" does not allow this request.'


@pytest.mark.parametrize('value, shown', [(True, 'not true.'), (None, 'not null.'),
                                          ('2', 'not "2".'), (1.5, 'not 1.5.')])
def test_a_bad_size_is_named_in_json_terms(api: APIRouter, value: object, shown: str) -> None:
    body = {'instance': {'name': 'x', 'vcpus': value, 'memory_mb': 1}}

    response = call(api, 'POST', '/instances', body)

    assert response.status_int == 400
    assert response.json['error']['message'].endswith(shown)


def next_path(response: webob.Response) -> str | None:
    """The next link as a path the test app takes, or None on the last page."""
    links = response.json.get('instances_links')
    if links is None:
        return None
    [link] = links
    assert link['rel'] == 'next'
    href = urllib.parse.urlsplit(link['href'])
    assert href.scheme == 'http' and href.netloc == 'localhost'
    assert href.path == '/instances'
    return '/instances?' + href.query


def test_the_list_comes_in_pages_of_max_limit_with_next_links(
        api: APIRouter, conf: cfg.ConfigOpts) -> None:
    conf.set_override('max_limit', 2, group='api')
    ids = [create(api)['id'] for _ in range(5)]

    pages, path = [], '/instances'
    while path is not None:
        response = call(api, 'GET', path)
        assert response.status_int == 200
        pages.append([instance['id'] for instance in response.json['instances']])
        path = next_path(response)

    assert pages == [ids[0:2], ids[2:4], ids[4:5]]


def test_limit_asks_for_fewer_and_is_capped_by_max_limit(
        api: APIRouter, conf: cfg.ConfigOpts) -> None:
    conf.set_override('max_limit', 3, group='api')
    ids = [create(api)['id'] for _ in range(5)]

    one = call(api, 'GET', '/instances?limit=1')
    capped = call(api, 'GET', '/instances?limit=1000')
    last = call(api, 'GET', '/instances?limit=2&marker=%s' % ids[2])

    assert [i['id'] for i in one.json['instances']] == ids[:1]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(
        one.json['instances_links'][0]['href']).query) == {'limit': ['1'], 'marker': [ids[0]]}
    assert [i['id'] for i in capped.json['instances']] == ids[:3]
    assert [i['id'] for i in last.json['instances']] == ids[3:5]
    assert 'instances_links' not in last.json


def test_pages_hold_only_the_callers_project(api: APIRouter) -> None:
    mine = [create(api, project='p1')['id'] for _ in range(2)]
    theirs = create(api, project='p2')['id']
    mine.append(create(api, project='p1')['id'])

    first = call(api, 'GET', '/instances?limit=2', project='p1')
    second = call(api, 'GET', next_path(first), project='p1')
    foreign_marker = call(api, 'GET', '/instances?marker=%s' % theirs, project='p1')

    assert [i['id'] for i in first.json['instances'] + second.json['instances']] == mine
    assert 'instances_links' not in second.json
    assert foreign_marker.status_int == 400  # as an unknown marker: nothing learnt


def test_a_marker_deleted_since_its_page_still_marks_the_place(
        api: APIRouter, database: Database) -> None:
    ids = [create(api)['id'] for _ in range(3)]
    first = call(api, 'GET', '/instances?limit=1')
    instances.update(database, ids[0], {'state': instances.DELETING})
    instances.destroy(database, ids[0])

    second = call(api, 'GET', next_path(first))

    assert second.status_int == 200
    assert [i['id'] for i in second.json['instances']] == ids[1:2]


@pytest.mark.parametrize('query, named, allowed', [
    ('limit=0', '"limit"', 'a whole number of 1 or more'),
    ('limit=abc', '"limit"', 'a whole number of 1 or more'),
    ('limit=%EF%BC%91', '"limit"', 'a whole number of 1 or more'),
    ('marker=nope', 'marker "nope"', 'the id of the last instance of the previous page'),
    ('marker=', 'marker ""', 'the id of the last instance of the previous page'),
    ('limt=1', 'limt', 'allowed: limit, marker'),
    ('host=a', 'host', 'allowed: limit, marker'),
    ('limit=1&limit=2', 'limit', 'give each once'),
])
def test_bad_list_parameters_are_a_400_naming_them(api: APIRouter, query: str, named: str,
                                                   allowed: str) -> None:
    create(api)

    response = call(api, 'GET', '/instances?' + query)

    assert response.status_int == 400
    message = response.json['error']['message']
    assert named in message and allowed in message


def test_a_caller_without_a_project_still_gets_a_400_for_unknown_parameters(
        api: APIRouter) -> None:
    response = call(api, 'GET', '/instances?limt=1', project=None)

    assert response.status_int == 400


def test_an_instance_path_that_is_not_utf8_is_a_400(api: APIRouter) -> None:
    req = webob.Request.blank('/')
    req.environ['PATH_INFO'] = '/instances/\xb2'  # as the server passes it: latin-1
    req.environ[auth.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id='p1', roles=['member'], overwrite=False)

    response = req.get_response(api)

    assert response.status_int == 400
    assert 'not valid UTF-8' in response.json['error']['message']
