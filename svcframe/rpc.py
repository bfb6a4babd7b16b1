"""RPC over oslo.messaging: transports, targets, servers and clients.

Nothing here is global: a Service creates its transport in start() and
cleans it up in stop(). Request contexts travel with every message
(RequestContextSerializer), so a request id from the API reaches the log
lines of every service the request crosses.
"""

from __future__ import annotations

import time
from typing import Any

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log as logging

from svcframe import backend
from svcframe import context as svcframe_context
from svcframe import exception
from svcframe import metrics
from svcframe import reach

LOG = logging.getLogger(__name__)

IN_MEMORY_SCHEME = 'fake'


def create_transport(conf: cfg.ConfigOpts,
                     warn_in_memory: bool = True) -> messaging.Transport:
    """The RPC transport that ``[DEFAULT] transport_url`` names.

    ``warn_in_memory=False`` is for svcframe-all, which runs every service
    on the one transport, so that fake:// is what it should be there.
    """
    try:
        transport = messaging.get_rpc_transport(conf)
    except messaging.InvalidTransportURL as error:
        raise exception.InvalidOptionValue(
            'DEFAULT', 'transport_url', error.url,
            'a URL such as rabbit://user:password@host:5672/vhost, or fake:// '
            'for services in one process') from None
    if warn_in_memory and is_in_memory(conf):
        LOG.warning('[DEFAULT] transport_url is fake:// (in memory): this '
                    'process reaches only the services inside it; set it to '
                    'rabbit://user:password@host:5672/vhost to reach the others')
    return transport


def is_in_memory(conf: cfg.ConfigOpts) -> bool:
    url = messaging.TransportURL.parse(conf, conf.transport_url)
    return url.transport == IN_MEMORY_SCHEME


def executor_args() -> dict[str, str]:
    """The executor matching the process: eventlet once monkey-patched.

    oslo.messaging deprecates naming an executor at all (threading is its
    default), so one is named only where eventlet needs it.
    """
    if backend.current() == backend.EVENTLET:
        return {'executor': 'eventlet'}
    return {}


class RequestContextSerializer(messaging.Serializer):
    """Sends the RequestContext along with every message, as a dict."""

    def __init__(self, base: messaging.Serializer | None = None) -> None:
        self._base = base or messaging.NoOpSerializer()

    def serialize_entity(self, context: Any, entity: Any) -> Any:
        return self._base.serialize_entity(context, entity)

    def deserialize_entity(self, context: Any, entity: Any) -> Any:
        return self._base.deserialize_entity(context, entity)

    def serialize_context(self, context: svcframe_context.RequestContext) -> dict:
        # Only the fields that are set: from_dict() restores the rest, and
        # every message carries the context (bench/rpc_ping.py).
        return {key: value for key, value in context.to_dict().items()
                if value is not None and value != []}

    def deserialize_context(self, context: dict) -> svcframe_context.RequestContext:
        return svcframe_context.RequestContext.from_dict(context)


def get_server(transport: messaging.Transport, target: messaging.Target,
               endpoints: list[object],
               access_policy: type[messaging.RPCAccessPolicyBase] =
               messaging.DefaultRPCAccessPolicy) -> Any:
    # Measured only when metrics are on (svcframe.metrics.enable() runs
    # before any service starts): otherwise nothing is added per request.
    measured = {'server_cls': _measured_server} if metrics.current.enabled else {}
    return messaging.get_rpc_server(
        transport, target, endpoints, serializer=RequestContextSerializer(),
        access_policy=access_policy, **measured, **executor_args())


def get_client(transport: messaging.Transport, target: messaging.Target,
               version_cap: str | None = None,
               timeout: float | None = None) -> Any:
    client = messaging.get_rpc_client(
        transport, target, version_cap=version_cap, timeout=timeout,
        serializer=RequestContextSerializer())
    return MeasuredClient(client, target.topic) if metrics.current.enabled else client


def _measured_server(transport: messaging.Transport, target: messaging.Target,
                     dispatcher: Any, executor: str | None = None) -> Any:
    """oslo.messaging's RPC server, its dispatcher measured (svcframe.metrics)."""
    return reach.rpc_server_class()(transport, target,
                                    MeasuredDispatcher(target.topic, dispatcher), executor)


class MeasuredDispatcher:
    """An RPC dispatcher that counts and times what it dispatches;
    everything else is the wrapped dispatcher's."""

    def __init__(self, topic: str, dispatcher: Any) -> None:
        self._topic = topic
        self._dispatcher = dispatcher

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dispatcher, name)

    def dispatch(self, incoming: Any) -> Any:
        method = str(incoming.message.get('method', ''))
        started = time.monotonic()
        outcome = 'error'
        try:
            result = self._dispatcher.dispatch(incoming)
            outcome = 'ok'
            return result
        finally:
            metrics.current.rpc_handled(self._topic, method, outcome,
                                        time.monotonic() - started)


class MeasuredClient:
    """An oslo.messaging RPC client (or call context) whose calls and casts
    are counted and timed."""

    def __init__(self, client: Any, topic: str) -> None:
        self._client = client
        self._topic = topic

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def prepare(self, **kwargs: Any) -> MeasuredClient:
        return MeasuredClient(self._client.prepare(**kwargs), self._topic)

    def call(self, ctxt: Any, method: str, **kwargs: Any) -> Any:
        return self._send('call', self._client.call, ctxt, method, kwargs)

    def cast(self, ctxt: Any, method: str, **kwargs: Any) -> None:
        return self._send('cast', self._client.cast, ctxt, method, kwargs)

    def _send(self, kind: str, send: Any, ctxt: Any, method: str,
              kwargs: dict[str, Any]) -> Any:
        started = time.monotonic()
        outcome = 'error'
        try:
            result = send(ctxt, method, **kwargs)
            outcome = 'ok'
            return result
        except messaging.MessagingTimeout:
            outcome = 'timeout'
            raise
        finally:
            metrics.current.rpc_sent(self._topic, method, kind, outcome,
                                     time.monotonic() - started)
