"""[api] options: where svcframe-api listens, who may call it, how long a page is."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups
from svcframe.conf import workers

GROUP_NAME = 'api'
GROUP_TITLE = 'svcframe-api options'

AUTH_STRATEGIES = ('noauth', 'http_basic', 'keystone')

OPTS = [
    cfg.HostAddressOpt(
        'listen',
        default='127.0.0.1',
        help='Address svcframe-api listens on: an IPv4 or IPv6 address or a '
             'host name. 0.0.0.0 or :: listens on every address; a '
             'deployment sets the address its clients reach.'),
    cfg.PortOpt(
        'port',
        default=8774,
        help='TCP port svcframe-api listens on. 0 picks a free port and logs '
             'it.'),
    workers.workers_opt('svcframe-api'),
    cfg.StrOpt(
        'auth_strategy',
        default='noauth',
        choices=[
            ('noauth', 'development only: the caller is described by the '
                       'X-User-Id, X-Project-Id and X-Roles headers, and is '
                       'an admin when they are absent'),
            ('http_basic', 'users and bcrypt passwords from the htpasswd '
                           'file http_basic_auth_user_file'),
            ('keystone', 'Keystone tokens (X-Auth-Token), validated by '
                         'keystonemiddleware\'s auth_token as the '
                         '[keystone_authtoken] options say; user, project and '
                         'roles come from the token. Needs pip install '
                         '\'svcframe[keystone]\''),
        ],
        help='How svcframe-api authenticates callers.'),
    cfg.BoolOpt(
        'allow_insecure_noauth',
        default=False,
        help='Let auth_strategy = noauth serve on an address other than '
             'loopback, and through the WSGI entry point '
             'svcframe.wsgi.api:application at all (its bind address is the '
             'WSGI server\'s, which svcframe cannot check). Anyone who can '
             'reach the port is then an admin.'),
    cfg.URIOpt(
        'public_endpoint',
        schemes=['http', 'https'],
        mutable=True,
        help='The URL clients reach the API at, such as '
             'https://compute.example.com or https://example.com/compute '
             'behind a proxy. Every link the API returns (the version '
             'documents, services_links) starts with it. Unset, links start '
             'with the request\'s Host header when it is a valid host[:port], '
             'else with the server\'s own address.'),
    cfg.StrOpt(
        'http_basic_auth_user_file',
        default='/etc/svcframe/htpasswd',
        help='htpasswd file with bcrypt entries (htpasswd -B) when '
             'auth_strategy = http_basic. Every line is checked at start-up, '
             'and a bad one stops svcframe-api with its line number. The file '
             'is read again when it changes; if the new content has a bad '
             'line, the previous users stay in effect and an error is logged.'),
    cfg.IntOpt(
        'http_basic_max_failures',
        default=10,
        min=0,
        mutable=True,
        help='Failed http_basic logins allowed per user name, and separately '
             'per client address, within http_basic_failure_window seconds. '
             'Past it, logins for that user or from that address get 429 Too '
             'Many Requests with a Retry-After header, without a password '
             'check, until the oldest failure leaves the window; the right '
             'password is refused too, so an attacker can lock a user out for '
             'that long. Each svcframe-api worker counts on its own. Behind a '
             'proxy, set [oslo_middleware] enable_proxy_headers_parsing so '
             'that the client address is the one the proxy forwards. 0 turns '
             'the limit off.'),
    cfg.IntOpt(
        'http_basic_failure_window',
        default=300,
        min=1,
        mutable=True,
        help='Seconds a failed http_basic login counts against '
             'http_basic_max_failures; also the longest Retry-After a locked '
             'out user or address is given.'),
    cfg.IntOpt(
        'max_limit',
        default=1000,
        min=1,
        mutable=True,
        help='Most records in one page of a list such as GET /v1/services: '
             'the page size when a request gives no ?limit=, and the cap on '
             'one that does. A page with more records after it carries a '
             '"next" link (services_links) to the following page.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
