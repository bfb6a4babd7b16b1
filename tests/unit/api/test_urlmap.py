from __future__ import annotations

import json

import pytest
import webob

from svcframe.api import urlmap


def echo(name):
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [json.dumps({'app': name, 'script_name': environ['SCRIPT_NAME'],
                            'path_info': environ['PATH_INFO']}).encode()]
    return app


@pytest.fixture
def mapping():
    return urlmap.URLMap({'/': echo('root'), '/v1': echo('v1'),
                          '/healthcheck': echo('health')})


@pytest.mark.parametrize('path, app, script_name, path_info', [
    ('/', 'root', '', '/'),
    ('/v1', 'v1', '/v1', ''),
    ('/v1/', 'v1', '/v1', '/'),
    ('/v1/services', 'v1', '/v1', '/services'),
    ('/v10', 'root', '', '/v10'),  # a prefix matches whole path segments only
    ('/healthcheck', 'health', '/healthcheck', ''),
    ('/other/thing', 'root', '', '/other/thing'),
])
def test_longest_matching_prefix_wins(mapping, path, app, script_name, path_info):
    response = webob.Request.blank(path).get_response(mapping)
    assert response.json == {'app': app, 'script_name': script_name,
                             'path_info': path_info}


def test_without_a_root_an_unmapped_path_is_a_json_404():
    mapping = urlmap.URLMap({'/v1': echo('v1')})
    response = webob.Request.blank('/nothing').get_response(mapping)
    assert response.status_int == 404
    assert response.json['error']['code'] == 404


class FakeLoader:
    def get_app(self, name, global_conf):
        return echo(name)


def test_factory_loads_each_named_app():
    mapping = urlmap.urlmap_factory(FakeLoader(), {}, **{'/': 'root', '/v1': 'v1_pipeline'})
    assert webob.Request.blank('/v1/x').get_response(mapping).json['app'] == 'v1_pipeline'


def test_factory_refuses_a_key_that_is_not_a_path():
    with pytest.raises(ValueError, match="'example.org' is not a path"):
        urlmap.urlmap_factory(FakeLoader(), {}, **{'example.org': 'root'})
