"""Where the API's links start: ``[api] public_endpoint``, a valid Host, or the server.

A client's Host header is copied into every link of a response (versions
documents, ``services_links``); one that is not a valid host[:port] could
point them anywhere. ``APIRequest`` is the request controllers get: its
``host_url`` (and so ``application_url``, ``path_url`` and ``url``) is
``link_base()``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import urllib.parse

import webob
from oslo_config import cfg

DEFAULT_PORTS = {'http': '80', 'https': '443'}
# host[:port] as a URL's authority writes it, without user info: a DNS name
# or IPv4 address, or an IPv6 address in brackets.
_AUTHORITY = re.compile(r'(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?')
_LABEL = re.compile(r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?')


class APIRequest(webob.Request):
    """A request whose URLs start where the API's links must start.

    ``host_url`` is ``link_base()``, so ``application_url``, ``path_url`` and
    ``url`` follow it: a client's Host header never reaches a link unchecked.
    """

    public_endpoint: str | None = None  # each router's subclass sets it: request_type()

    @property
    def host_url(self) -> str:
        return link_base(self.environ, self.public_endpoint)


def request_type(conf: cfg.ConfigOpts) -> type[APIRequest]:
    """An APIRequest class that follows ``[api] public_endpoint``, reloads included.

    A class attribute, kept current by a mutate hook, costs nothing per
    request; reading the option does (two look-ups in oslo.config).
    """
    kind = type('APIRequest', (APIRequest,), {'public_endpoint': conf.api.public_endpoint})

    def follow(conf: cfg.ConfigOpts, fresh: dict) -> None:
        kind.public_endpoint = conf.api.public_endpoint

    conf.register_mutate_hook(follow)
    return kind


def link_base(environ: dict, public_endpoint: str | None) -> str:
    """The URL every link starts with, without a trailing slash.

    ``[api] public_endpoint`` when it is set (a path in it prefixes every
    link); else the request's scheme with its Host header when that is a
    valid host[:port]; else with the server's own address.
    """
    return _link_base(public_endpoint, environ.get('wsgi.url_scheme'),
                      environ.get('HTTP_HOST', ''), environ.get('SERVER_NAME', ''),
                      environ.get('SERVER_PORT', ''))


# The same few Host headers come again and again: check each once.
@functools.lru_cache(maxsize=256)
def _link_base(public_endpoint: str | None, scheme: str | None, host_header: str,
               server_name: str, server_port: str) -> str:
    if public_endpoint:
        # Links go on from its path; a query or fragment in it has no place.
        parts = urllib.parse.urlsplit(public_endpoint)
        return '%s://%s%s' % (parts.scheme, parts.netloc, parts.path.rstrip('/'))
    if scheme not in DEFAULT_PORTS:
        scheme = 'http'
    authority = split_authority(host_header)
    if authority is None:
        authority = _server_authority(server_name, server_port)
    host, port = authority
    if port is None or port == DEFAULT_PORTS[scheme]:
        return '%s://%s' % (scheme, host)
    return '%s://%s:%s' % (scheme, host, port)


def split_authority(text: str) -> tuple[str, str | None] | None:
    """(host, port or None) when ``text`` is a valid host[:port], else None."""
    match = _AUTHORITY.fullmatch(text)
    if match is None or not valid_host(match['host']):
        return None
    port = match['port']
    if port is not None and not 1 <= int(port) <= 65535:
        return None
    return match['host'], port


def valid_host(host: str) -> bool:
    """A DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address."""
    if host.startswith('['):
        return _is_ip(host[1:-1], ipaddress.IPv6Address)
    name = host[:-1] if host.endswith('.') else host  # a fully qualified name
    labels = name.split('.')
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    # No top-level domain is all digits: such a name is an IPv4 address or nothing.
    return not labels[-1].isdigit() or _is_ip(name, ipaddress.IPv4Address)


def _is_ip(text: str, kind: type) -> bool:
    try:
        kind(text)
    except ValueError:
        return False
    return True


def _server_authority(host: str, port: str) -> tuple[str, str | None]:
    """The server's own address; what it could not say is left out."""
    # Some servers (gunicorn) copy SERVER_NAME from the Host header too.
    if _is_ip(host, ipaddress.IPv6Address):
        host = '[%s]' % host
    if not valid_host(host):
        host = 'localhost'
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        return host, None
    return host, str(int(port))
