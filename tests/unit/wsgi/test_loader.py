from __future__ import annotations

from pathlib import Path

import pytest
import webob
from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe import exception
from svcframe.wsgi import loader

PASTE = '''
[composite:api]
use = egg:Paste#urlmap
/ = hello

[app:hello]
paste.app_factory = tests.unit.wsgi.test_loader:hello_factory
greeting = hi from paste
'''


def hello_factory(global_conf: dict, greeting: str = 'hello'):
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [greeting.encode()]
    return app


def parse(tmp_path: Path, paste_name: str, conf_text: str = '') -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    config_file = tmp_path / 'svcframe.conf'
    config_file.write_text('[wsgi]\napi_paste_config = %s\n' % paste_name + conf_text)
    conf(['--config-file', str(config_file)], project='svcframe-unit-tests',
         default_config_files=[])
    return conf


def test_relative_paste_name_is_found_next_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / 'my-paste.ini').write_text(PASTE)
    conf = parse(tmp_path, 'my-paste.ini')

    assert loader.find_paste_config(conf) == str(tmp_path / 'my-paste.ini')
    app = loader.load_app(conf, 'api')
    assert webob.Request.blank('/').get_response(app).text == 'hi from paste'


def test_absolute_paste_path_is_used_as_it_is(tmp_path: Path) -> None:
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (elsewhere / 'p.ini').write_text(PASTE)
    conf = parse(tmp_path, str(elsewhere / 'p.ini'))

    assert loader.find_paste_config(conf) == str(elsewhere / 'p.ini')


def test_missing_paste_file_names_the_option_and_where_it_looked(tmp_path: Path) -> None:
    conf = parse(tmp_path, 'absent.ini')

    with pytest.raises(exception.PasteConfigNotFound) as raised:
        loader.load_app(conf, 'api')

    assert str(raised.value).startswith("[wsgi] api_paste_config = 'absent.ini': no such file")
    assert str(tmp_path) in raised.value.searched


def test_missing_app_name_names_the_file_and_the_app(tmp_path: Path) -> None:
    (tmp_path / 'p.ini').write_text(PASTE)
    conf = parse(tmp_path, 'p.ini')

    with pytest.raises(exception.PasteAppNotFound) as raised:
        loader.load_app(conf, 'admin')

    assert (raised.value.path, raised.value.name) == (str(tmp_path / 'p.ini'), 'admin')


def test_factory_that_fails_keeps_its_error_chained(tmp_path: Path) -> None:
    (tmp_path / 'p.ini').write_text(
        '[app:api]\npaste.app_factory = svcframe_no_such_module:factory\n')
    conf = parse(tmp_path, 'p.ini')

    with pytest.raises(exception.PasteAppLoadError) as raised:
        loader.load_app(conf, 'api')

    assert isinstance(raised.value.__cause__, ImportError)
    assert 'svcframe_no_such_module' in str(raised.value)


ROOT = Path(__file__).resolve().parents[3]


def test_the_default_name_found_nowhere_is_the_shipped_pipeline(tmp_path: Path) -> None:
    conf = parse(tmp_path, 'api-paste.ini')

    assert loader.find_paste_config(conf) == loader.SHIPPED_PASTE


def test_the_default_name_in_a_config_dir_wins_over_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / 'api-paste.ini').write_text(PASTE)
    conf = parse(tmp_path, 'api-paste.ini')

    assert loader.find_paste_config(conf) == str(tmp_path / 'api-paste.ini')


def test_an_explicit_path_to_the_default_name_must_exist(tmp_path: Path) -> None:
    conf = parse(tmp_path, str(tmp_path / 'api-paste.ini'))

    with pytest.raises(exception.PasteConfigNotFound):
        loader.find_paste_config(conf)


def test_the_shipped_pipeline_is_the_repository_copy() -> None:
    repository_copy = ROOT / 'etc' / 'svcframe' / 'api-paste.ini'

    assert Path(loader.SHIPPED_PASTE).read_text() == repository_copy.read_text(), (
        'svcframe/wsgi/api-paste.ini and etc/svcframe/api-paste.ini differ: '
        'edit one and copy it over the other')


SEEN: list[object] = []


def resource_factory(global_conf: dict, **local_conf: str):
    SEEN.append(loader.resources().transport)
    return hello_factory(global_conf)


def test_factories_get_what_the_loader_was_given_and_only_while_it_loads(
        tmp_path: Path) -> None:
    (tmp_path / 'paste.ini').write_text(
        '[app:api]\npaste.app_factory = tests.unit.wsgi.test_loader:resource_factory\n')
    conf = parse(tmp_path, str(tmp_path / 'paste.ini'))
    transport = object()
    SEEN.clear()

    loader.load_app(conf, 'api', loader.AppResources(transport=transport))
    loader.load_app(conf, 'api')

    assert SEEN == [transport, None]
    assert loader.resources().transport is None
