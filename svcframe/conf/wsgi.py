"""[wsgi] options of svcframe's HTTP/1.1 server and its paste app."""

from __future__ import annotations

from oslo_config import cfg

from svcframe.conf import groups

GROUP_NAME = 'wsgi'
GROUP_TITLE = 'WSGI server options'

DEFAULT_LOG_FORMAT = ('%(client_ip)s "%(request_line)s" status: %(status_code)s'
                      ' len: %(body_length)s time: %(wall_seconds).7f'
                      ' request_id: %(request_id)s')
# Threads answering requests under SVCFRAME_BACKEND=threading (measured in
# bench/http_bench.py: see the commit that set it).
THREADS_DEFAULT = 16
# The keys wsgi_log_format may use.
LOG_FORMAT_KEYS = ('client_ip', 'date_time', 'method', 'path', 'request_line',
                   'status_code', 'body_length', 'wall_seconds', 'request_id')

OPTS = [
    cfg.StrOpt(
        'api_paste_config',
        default='api-paste.ini',
        help='The PasteDeploy file that defines the API pipeline: an absolute '
             'path, or a name looked up like a config file (in the '
             '--config-dir directories, next to the --config-file files, then '
             'in ~/.svcframe, ~/, /etc/svcframe and /etc). When the default '
             'name, api-paste.ini, is in none of them, the pipeline installed '
             'with svcframe is used.'),
    cfg.IntOpt(
        'default_pool_size',
        default=1000,
        min=1,
        help='The most connections, idle keep-alive ones included, that one '
             'worker process holds open at once (under eventlet, one green '
             'thread each). When they are all taken, the worker accepts no '
             'more until one closes.'),
    cfg.IntOpt(
        'threads',
        default=THREADS_DEFAULT,
        min=1,
        help='Under SVCFRAME_BACKEND=threading only: native threads per worker '
             'process that answer requests. Idle keep-alive connections wait '
             'in one poller thread and hold none, so this bounds the requests '
             'answered at once, not the connections (default_pool_size does '
             'that). Threads are woken only when the running ones are '
             'blocked, so a high value costs little; raise it when many '
             'requests wait on slow back ends at once. Ignored under eventlet.'),
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
        help='Seconds a client may stay silent in the middle of a request '
             'body, or leave a response unread, before its connection is '
             'closed. 0 waits forever.'),
    cfg.IntOpt(
        'header_timeout',
        default=30,
        min=1,
        mutable=True,
        help='Seconds a client has to send a whole request line and its '
             'headers, counted from its first byte. A slower client gets 408 '
             'and its connection is closed, so that slow senders cannot hold '
             'every green thread.'),
    cfg.IntOpt(
        'keep_alive_timeout',
        default=75,
        min=1,
        mutable=True,
        help='Seconds a keep-alive connection may stay idle between requests '
             'before the server closes it. Keep it longer than the idle '
             'timeout of a load balancer in front, so that the balancer, not '
             'the server, closes idle connections.'),
    cfg.IntOpt(
        'tcp_keepidle',
        default=600,
        min=1,
        help='Seconds a connection is idle before the kernel sends TCP '
             'keepalive probes on it.'),
    cfg.IntOpt(
        'max_request_line',
        default=8190,
        min=64,
        help='Longest request line (method, target and version), in bytes; '
             'a longer one gets 414 URI Too Long.'),
    cfg.IntOpt(
        'max_header_line',
        default=16384,
        min=64,
        help='Longest header field (name and value), in bytes; a longer one '
             'gets 431. Raise it when clients send large tokens.'),
    cfg.IntOpt(
        'max_header_size',
        default=65536,
        min=64,
        help='Most bytes of header fields in one request, all together; more '
             'gets 431.'),
    cfg.IntOpt(
        'max_header_count',
        default=100,
        min=1,
        help='Most header fields in one request; more gets 431.'),
    cfg.BoolOpt(
        'access_log',
        default=True,
        mutable=True,
        help='Write one INFO line per request (logger svcframe.wsgi.access) '
             'where oslo.log sends the service\'s logs.'),
    cfg.StrOpt(
        'wsgi_log_format',
        default=DEFAULT_LOG_FORMAT,
        mutable=True,
        help='Format of the access log line written for every request. Keys: '
             + ', '.join(LOG_FORMAT_KEYS) + '. Every value a client sent is '
             'written with its control characters escaped.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    groups.register(conf, GROUP_NAME, GROUP_TITLE, OPTS)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return groups.listing(GROUP_NAME, GROUP_TITLE, OPTS)
