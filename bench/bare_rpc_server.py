"""The reference for bench/rpc_ping.py: a bare oslo.messaging RPC server, one process.

    python bench/bare_rpc_server.py TRANSPORT_URL HOST

Serves ``ping(arg)`` on topic ``bare``, server HOST, with the eventlet
executor, until it is killed. Nothing else: no request-context serializer,
no access policy, no oslo.log, no launcher, no heartbeat; SIGTERM keeps its
default action and ends it at once.
"""

import sys
import warnings

TOPIC = 'bare'
# Named explicitly, here and in the benchmark's client: svcframe changes
# oslo.messaging's default exchange in any process that registers its options.
EXCHANGE = 'bare'


class Endpoint:
    def __init__(self, host: str) -> None:
        self.host = host

    def ping(self, ctxt: dict, arg: object) -> dict:
        return {'host': self.host, 'arg': arg}


def main() -> None:
    url, host = sys.argv[1:3]
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import eventlet
    eventlet.monkey_patch()
    import oslo_messaging
    from oslo_config import cfg

    # The global CONF: oslo.messaging registers its tracing and metrics
    # options there only.
    cfg.CONF([], project='svcframe-bench', default_config_files=[])
    transport = oslo_messaging.get_rpc_transport(cfg.CONF, url=url)
    target = oslo_messaging.Target(topic=TOPIC, server=host, exchange=EXCHANGE)
    server = oslo_messaging.get_rpc_server(transport, target, [Endpoint(host)],
                                           executor='eventlet')
    server.start()
    while True:
        eventlet.sleep(3600)


if __name__ == '__main__':
    main()
