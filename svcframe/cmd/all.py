"""svcframe-all: api, conductor, scheduler and compute in one process."""


def main() -> None:
    from svcframe import backend
    backend.setup('svcframe-all')

    from oslo_config import cfg

    from svcframe.cmd import service_main
    from svcframe.embedded import BINARY, AllInOneService

    def build(conf: cfg.ConfigOpts) -> tuple[object, int]:
        # One process runs everything, so the workers options of [api],
        # [conductor] and [scheduler] do not apply; the API server must not
        # act as one of several workers sharing its socket.
        conf.set_override('workers', 1, group='api')
        # The random delay spreads the first periodic tasks of many processes
        # started together; here there is one, and compute's first capacity
        # report is what makes its host schedulable. A value set in a config
        # file still wins.
        conf.set_default('periodic_fuzzy_delay', 0)
        service = AllInOneService.create(conf)
        service.listen()
        return service, 1

    service_main.run(BINARY, build)
