"""The reference for bench/lifecycle.py: an idle service under oslo.service's own launcher."""

import sys
import warnings


def main() -> None:
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import eventlet
    eventlet.monkey_patch()

    from oslo_config import cfg
    from oslo_service import service

    conf = cfg.ConfigOpts()
    conf(sys.argv[1:], project='svcframe-bench')
    launcher = service.launch(conf, service.Service(), restart_method='mutate')
    launcher.wait()


if __name__ == '__main__':
    main()
