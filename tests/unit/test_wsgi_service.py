from __future__ import annotations

import pytest
from oslo_config import cfg

from svcframe import exception
from svcframe.service import WSGIService
from svcframe.wsgi.parser import Limits
from svcframe.wsgi.server import ServerSettings


def hello(environ, start_response):
    start_response('200 OK', [])
    return [b'hi']


@pytest.mark.parametrize('listen', ['127.0.0.1', '127.0.0.53', '::1', 'localhost'])
def test_noauth_is_allowed_on_loopback(conf: cfg.ConfigOpts, listen: str) -> None:
    conf.set_override('listen', listen, group='api')

    service = WSGIService.create('api', conf, app=hello)

    assert (service.binary, service.server.host) == ('svcframe-api', listen)


@pytest.mark.parametrize('listen', ['0.0.0.0', '::', '10.1.2.3', 'api.example.com'])
def test_noauth_refuses_a_public_address(conf: cfg.ConfigOpts, listen: str) -> None:
    conf.set_override('listen', listen, group='api')

    with pytest.raises(exception.ConfigError) as raised:
        WSGIService.create('api', conf, app=hello)

    assert repr(listen) in str(raised.value)
    assert 'allow_insecure_noauth' in str(raised.value)


def test_noauth_on_a_public_address_when_explicitly_allowed(conf: cfg.ConfigOpts) -> None:
    conf.set_override('listen', '0.0.0.0', group='api')
    conf.set_override('allow_insecure_noauth', True, group='api')

    assert WSGIService.create('api', conf, app=hello).server.host == '0.0.0.0'


def test_http_basic_may_serve_a_public_address(conf: cfg.ConfigOpts) -> None:
    conf.set_override('listen', '0.0.0.0', group='api')
    conf.set_override('auth_strategy', 'http_basic', group='api')

    assert WSGIService.create('api', conf, app=hello).server.host == '0.0.0.0'


def test_create_binds_nothing(conf: cfg.ConfigOpts) -> None:
    conf.set_override('port', 1, group='api')  # would need root to bind

    service = WSGIService.create('api', conf, app=hello)

    assert service.server.port == 1


def test_connections_are_spread_only_with_several_workers(conf: cfg.ConfigOpts) -> None:
    conf.set_override('workers', 1, group='api')
    assert not WSGIService.create('api', conf, app=hello).server.spread_connections
    conf.set_override('workers', 2, group='api')
    assert WSGIService.create('api', conf, app=hello).server.spread_connections


def test_server_settings_follow_the_wsgi_options(conf: cfg.ConfigOpts) -> None:
    conf.set_override('keep_alive', False, group='wsgi')
    conf.set_override('client_socket_timeout', 5, group='wsgi')
    conf.set_override('header_timeout', 7, group='wsgi')
    conf.set_override('max_request_line', 1000, group='wsgi')
    conf.set_override('max_header_count', 9, group='wsgi')

    settings = ServerSettings.from_conf(conf)

    assert (settings.pool_size, settings.backlog, settings.keep_alive,
            settings.client_socket_timeout, settings.header_timeout,
            settings.keep_alive_timeout) == (1000, 4096, False, 5, 7, 75)
    assert settings.limits == Limits(request_line=1000, header_line=16384,
                                     header_size=65536, header_count=9)


def test_access_log_option_turns_the_line_off(conf: cfg.ConfigOpts) -> None:
    assert ServerSettings.from_conf(conf).access_log is not None

    conf.set_override('access_log', False, group='wsgi')

    assert ServerSettings.from_conf(conf).access_log is None


def test_unknown_key_in_wsgi_log_format_is_a_config_error(conf: cfg.ConfigOpts) -> None:
    conf.set_override('wsgi_log_format', '%(client_ip)s %(user_agent)s', group='wsgi')

    with pytest.raises(exception.InvalidOptionValue) as raised:
        WSGIService.create('api', conf, app=hello)

    assert (raised.value.group, raised.value.name) == ('wsgi', 'wsgi_log_format')
    assert 'user_agent' in str(raised.value) and 'client_ip' in str(raised.value)


def test_reload_with_a_bad_wsgi_log_format_keeps_the_previous_settings(
        conf: cfg.ConfigOpts) -> None:
    service = WSGIService.create('api', conf, app=hello)
    before = service.server.settings

    conf.set_override('wsgi_log_format', '%(nonsense)s', group='wsgi')
    service.reset()

    assert service.server.settings is before
