from __future__ import annotations

import pytest
import webob
import webob.exc
from oslo_config import cfg

from svcframe import context
from svcframe.api import auth
from svcframe.api import policy
from svcframe.api.controller import Controller
from svcframe.api.router import APIRouter, VersionsRouter


class WidgetController(Controller):
    def show(self, req: webob.Request, widget_id: str) -> dict:
        self.authorize(req, 'admin_or_owner', {'project_id': 'p1'})
        return {'widget': {'id': widget_id}}

    def create(self, req: webob.Request) -> tuple[int, dict]:
        return 202, {'widget': self.json_body(req, 'widget')}

    def delete(self, req: webob.Request, widget_id: str) -> None:
        raise webob.exc.HTTPConflict(detail='widget %s is busy' % widget_id)


class WidgetRouter(APIRouter):
    def add_routes(self) -> None:
        super().add_routes()
        widgets = WidgetController(self.conf, self.enforcer)
        self.connect('/widgets', widgets, 'create', ('POST',))
        self.connect('/widgets/{widget_id}', widgets, 'show', ('GET',))
        self.connect('/widgets/{widget_id}', widgets, 'delete', ('DELETE',))


@pytest.fixture
def router(conf: cfg.ConfigOpts) -> WidgetRouter:
    return WidgetRouter(conf, policy.make_enforcer(conf))


def request(path: str, method: str = 'GET', project: str = 'p1', roles: tuple = (),
            body: bytes | None = None) -> webob.Request:
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.body = body
    req.environ[auth.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id=project, roles=list(roles), is_admin='admin' in roles)
    return req


def test_versions_document_links_to_v1(conf: cfg.ConfigOpts) -> None:
    router = VersionsRouter(conf, policy.make_enforcer(conf))

    response = webob.Request.blank('/', base_url='http://api.example:8774').get_response(router)

    version = response.json['versions'][0]
    assert (version['id'], version['status']) == ('v1', 'CURRENT')
    assert version['links'] == [{'rel': 'self', 'href': 'http://api.example:8774/v1/'}]


def test_route_arguments_reach_the_controller(router: WidgetRouter) -> None:
    response = request('/widgets/w7').get_response(router)

    assert response.status_code == 200
    assert response.json == {'widget': {'id': 'w7'}}


def test_controller_may_choose_the_status(router: WidgetRouter) -> None:
    response = request('/widgets', 'POST', body=b'{"widget": {"size": 3}}').get_response(router)

    assert (response.status_code, response.json) == (202, {'widget': {'size': 3}})


@pytest.mark.parametrize('body', [b'{not json', b'[]', b'{"gadget": {}}', b''])
def test_malformed_body_is_a_json_400(router: WidgetRouter, body: bytes) -> None:
    response = request('/widgets', 'POST', body=body).get_response(router)

    assert response.status_code == 400
    assert response.json['error']['code'] == 400


def test_unknown_path_is_a_json_404(router: WidgetRouter) -> None:
    response = request('/gadgets').get_response(router)

    assert response.status_code == 404
    assert response.json['error']['message'] == 'No resource at /gadgets.'


def test_wrong_method_is_a_json_405_listing_the_allowed_ones(router: WidgetRouter) -> None:
    response = request('/widgets/w7', 'PUT').get_response(router)

    assert response.status_code == 405
    assert response.headers['Allow'] == 'GET, HEAD, DELETE'


def call_wsgi(app: WidgetRouter, req: webob.Request) -> tuple[str, dict[str, str], bytes]:
    """What the app itself hands the server: status, headers and body bytes."""
    started: list = []
    chunks = app(req.environ, lambda status, headers, exc_info=None: started.extend(
        [status, dict(headers)]))
    return started[0], started[1], b''.join(chunks)


@pytest.mark.parametrize('path', ['/widgets/w7', '/', ''])
def test_head_answers_every_get_route_with_its_headers_and_no_body(
        router: WidgetRouter, path: str) -> None:
    get_status, get_headers, get_body = call_wsgi(router, request(path))
    head_status, head_headers, head_body = call_wsgi(router, request(path, 'HEAD'))

    assert get_status == head_status == '200 OK'
    assert head_headers == get_headers
    assert head_headers['Content-Length'] == str(len(get_body)) != '0'
    assert head_body == b''


@pytest.mark.parametrize('path, status', [('/widgets/w7', '403 Forbidden'),
                                          ('/gadgets', '404 Not Found')])
def test_head_errors_have_the_get_status_and_no_body(
        router: WidgetRouter, path: str, status: str) -> None:
    # A HEAD error comes out as its GET would: the other project is refused.
    head = call_wsgi(router, request(path, 'HEAD', project='someone-else'))
    get = call_wsgi(router, request(path, 'GET', project='someone-else'))

    assert head[0] == get[0] == status
    assert head[1]['Content-Length'] == get[1]['Content-Length'] == str(len(get[2]))
    assert head[2] == b''


def test_head_on_a_route_without_get_is_a_405_without_a_body(router: WidgetRouter) -> None:
    status, headers, body = call_wsgi(router, request('/widgets', 'HEAD'))

    assert (status, headers['Allow'], body) == ('405 Method Not Allowed', 'POST', b'')


def test_policy_refusal_is_a_json_403(router: WidgetRouter) -> None:
    response = request('/widgets/w7', project='someone-else').get_response(router)

    assert response.status_code == 403
    assert '"admin_or_owner"' in response.json['error']['message']


def test_admin_passes_an_owner_rule_for_any_project(router: WidgetRouter) -> None:
    response = request('/widgets/w7', project='other', roles=('admin',)).get_response(router)

    assert response.status_code == 200


def test_http_error_raised_by_a_controller_is_json(router: WidgetRouter) -> None:
    response = request('/widgets/w7', 'DELETE').get_response(router)

    assert response.status_code == 409
    assert response.json['error']['message'] == 'widget w7 is busy'


class ShadowRouter(APIRouter):
    """A static path connected after a variable one of the same depth."""

    def add_routes(self) -> None:
        widgets = WidgetController(self.conf, self.enforcer)
        self.connect('/gadgets/{widget_id}', widgets, 'show', ('GET',))
        self.connect('/gadgets/special', widgets, 'create', ('GET',))
        self.connect('/gadgets', widgets, 'create', ('POST',))


@pytest.mark.parametrize('method, path', [
    ('GET', '/gadgets/special'), ('POST', '/gadgets'),
    ('GET', '/gadgets'), ('GET', '/'), ('GET', '')])
def test_the_exact_path_lookup_answers_as_the_route_mapper_does(
        conf: cfg.ConfigOpts, method: str, path: str) -> None:
    fast = ShadowRouter(conf, policy.make_enforcer(conf))
    mapper_only = ShadowRouter(conf, policy.make_enforcer(conf))
    mapper_only._static.clear()

    def answer(router: APIRouter) -> tuple[int, bytes]:
        response = webob.Request.blank(path, method=method,
                                       body=b'{"widget": {}}').get_response(router)
        return response.status_int, response.body

    assert answer(fast) == answer(mapper_only)


def test_static_and_variable_routes_both_dispatch(conf: cfg.ConfigOpts) -> None:
    router = ShadowRouter(conf, policy.make_enforcer(conf))
    created = webob.Request.blank('/gadgets', method='POST',
                                  body=b'{"widget": {"name": "w"}}').get_response(router)
    assert (created.status_int, created.json) == (202, {'widget': {'name': 'w'}})
    wrong_method = webob.Request.blank('/gadgets', method='GET').get_response(router)
    assert wrong_method.status_int == 405
    assert wrong_method.headers['Allow'] == 'POST'
