"""[api] options: where svcframe-api listens, who may call it, how long a page is."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups
from svcframe.conf import workers

GROUP_NAME = 'api'
GROUP_TITLE = 'svcframe-api options'

AUTH_STRATEGIES = ('noauth', 'http_basic')

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
        ],
        help='How svcframe-api authenticates callers.'),
    cfg.BoolOpt(
        'allow_insecure_noauth',
        default=False,
        help='Let auth_strategy = noauth serve on an address other than '
             'loopback. Anyone who can reach the port is then an admin.'),
    cfg.StrOpt(
        'http_basic_auth_user_file',
        default='/etc/svcframe/htpasswd',
        help='htpasswd file with bcrypt entries (htpasswd -B), read on every '
             'request when auth_strategy = http_basic.'),
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
