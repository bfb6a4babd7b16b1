"""svcframe-api: the paste-loaded API on svcframe's eventlet WSGI server."""


def main() -> None:
    from svcframe.cmd import eventlet_patch
    eventlet_patch.monkey_patch()

    from svcframe.cmd import service_main

    service_main.serve_api('api')
