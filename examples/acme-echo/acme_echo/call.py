"""Call EchoManager.echo on a running svcframe-compute and print the answer.

    python -m acme_echo.call --config-file svcframe.conf hello

It reads the same config file as the services, for transport_url and host.
"""

from __future__ import annotations

import json
import sys

from oslo_config import cfg

from svcframe import conf as svcframe_conf
from svcframe import context
from svcframe import rpc

from acme_echo.rpcapi import EchoAPI

CLI_OPTS = [
    cfg.StrOpt('text', positional=True, required=True, help='What to echo.'),
    cfg.StrOpt('target_host', help='The host of the compute service; by default [DEFAULT] host.'),
]


def main(argv: list[str] | None = None) -> None:
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    conf.register_cli_opts(CLI_OPTS)
    conf(sys.argv[1:] if argv is None else argv, project='svcframe')
    transport = rpc.create_transport(conf)
    try:
        answer = EchoAPI(transport, conf, timeout=10).echo(
            context.get_admin_context(), conf.target_host or conf.host, conf.text)
    finally:
        transport.cleanup()
    print(json.dumps(answer))


if __name__ == '__main__':
    main()
