"""svcframe-api: the paste-loaded API on svcframe's HTTP/1.1 server."""


def main() -> None:
    from svcframe import backend
    backend.setup('svcframe-api')

    from svcframe.cmd import service_main

    service_main.serve_api('api')
