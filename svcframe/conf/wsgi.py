"""[wsgi] options of svcframe's eventlet WSGI server and its paste app."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups

GROUP_NAME = 'wsgi'
GROUP_TITLE = 'WSGI server options'

DEFAULT_LOG_FORMAT = ('%(client_ip)s "%(request_line)s" status: %(status_code)s'
                      ' len: %(body_length)s time: %(wall_seconds).7f')

OPTS = [
    cfg.StrOpt(
        'api_paste_config',
        default='api-paste.ini',
        help='The PasteDeploy file that defines the API pipeline: an absolute '
             'path, or a name looked up like a config file (in the '
             '--config-dir directories, next to the --config-file files, then '
             'in ~/.svcframe, ~/, /etc/svcframe and /etc).'),
    cfg.IntOpt(
        'default_pool_size',
        default=1000,
        min=1,
        help='Green threads per worker process: the most connections, idle '
             'keep-alive ones included, that one worker holds open at once. '
             'When they are all taken, the worker accepts no more until one '
             'closes.'),
    cfg.IntOpt(
        'backlog',
        default=4096,
        min=1,
        help='Connections the kernel queues for the listening socket before '
             'the workers accept them.'),
    cfg.BoolOpt(
        'keep_alive',
        default=True,
        mutable=True,
        help='Keep client connections open between requests (HTTP '
             'keep-alive).'),
    cfg.IntOpt(
        'client_socket_timeout',
        default=900,
        min=0,
        mutable=True,
        help='Seconds a client connection may stay silent, idle between '
             'requests or in the middle of one, before it is closed. 0 waits '
             'forever.'),
    cfg.IntOpt(
        'tcp_keepidle',
        default=600,
        min=1,
        help='Seconds a connection is idle before the kernel sends TCP '
             'keepalive probes on it.'),
    cfg.IntOpt(
        'max_header_line',
        default=16384,
        min=1,
        help='Longest request header line, in bytes; a longer one gets 400. '
             'Raise it when clients send large tokens.'),
    cfg.StrOpt(
        'wsgi_log_format',
        default=DEFAULT_LOG_FORMAT,
        mutable=True,
        help='Format of the access log line written for every request. Keys: '
             'client_ip, date_time, request_line, status_code, body_length, '
             'wall_seconds.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
