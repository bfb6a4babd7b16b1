"""The base of svcframe's paste filters that need no configuration."""

from __future__ import annotations

from collections.abc import Callable


class Middleware:
    """Wraps ``application``; ``factory`` is its ``paste.filter_factory``."""

    def __init__(self, application: Callable) -> None:
        self.application = application

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> type[Middleware]:
        return cls
