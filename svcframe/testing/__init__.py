"""Test fixtures for plugin authors: import them in your own tests.

``make_conf()`` builds a parsed configuration on a temporary state_path and
the in-memory transport; ``make_manager()`` builds a manager with named
collaborators replaced by fakes; ``ServiceFixture`` runs services in this
process on one in-memory transport and stops them all; ``RPCTopicClient``
calls a topic's RPC methods by name; ``wait_until()`` polls for what a
service does in the background. ``svcframe.testing.pytest_plugin`` wraps
them as pytest fixtures. Nothing here needs pytest or monkey-patching.
"""

from __future__ import annotations

from svcframe.testing.client import RPCTopicClient
from svcframe.testing.configuration import make_conf
from svcframe.testing.managers import make_manager
from svcframe.testing.polling import wait_until
from svcframe.testing.registry import MemoryRegistry
from svcframe.testing.services import ServiceFixture, start_services

__all__ = ['MemoryRegistry', 'RPCTopicClient', 'ServiceFixture', 'make_conf',
           'make_manager', 'start_services', 'wait_until']
