"""Request contexts: who is asking, carried through periodic tasks and RPC."""

from __future__ import annotations

from oslo_context import context


class RequestContext(context.RequestContext):
    """svcframe's request context; room for fields later layers add."""


def get_admin_context() -> RequestContext:
    """A context for work the service does on its own behalf."""
    return RequestContext(is_admin=True, overwrite=False)
