"""svcframe-scheduler: the scheduler service."""


def main() -> None:
    from svcframe import backend
    backend.setup('svcframe-scheduler')

    from svcframe.cmd import service_main

    service_main.serve('svcframe-scheduler', workers_group='scheduler')
