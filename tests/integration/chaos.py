"""A chaos run: steady creates and deletes while processes, the broker and the database fail.

Used by tests/integration/test_chaos.py (about a minute) and bench/chaos.py
(ten minutes). The broker and the database are a private RabbitMQ node and a
private PostgreSQL cluster, never the machine's shared servers.

Recovery after a fault is measured from the moment the fault ends (the
killed process is started again; the broker or the database has started
again) until a probe instance created right then is active: the API answers
again and a new create goes through. A new probe goes every 2 s until one
is active, so that one probe held up does not stand for the whole service.
"""

from __future__ import annotations

import collections
import contextlib
import random
import statistics
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from svcframe.db import compute_nodes
from svcframe.db import models
from svcframe.db.api import Database
from tests.integration import private_postgres
from tests.integration import private_rabbitmq
from tests.integration.conftest import ServiceProcess, ServiceRunner, free_port
from tests.integration.deployment import UNANSWERED, Deployment, Shape, open_database

ON_THE_WAY = ('building', 'deleting')
INSTANCES = models.Instance.__table__
BROKER = 'broker'
PROBE_EVERY = 2.0
DATABASE = 'database'


@dataclass
class Settings:
    """What a run does; the defaults are the test's minute."""

    seconds: float = 60.0          # how long faults go on
    fault_interval: float = 5.0    # from one fault's start to the next's, at least
    infra_every: int = 4           # every Nth fault is the broker or the database, in turn
    down_seconds: float = 4.0      # how long the broker or the database stays down
    clients: int = 3
    client_pause: float = 0.3
    seed: int = 0
    shape: Shape = field(default_factory=lambda: Shape(
        conductors=2, schedulers=2, computes=3, lease_seconds=3, host_step_timeout=6,
        action_timeout=60, service_down_time=5, build_delay=0.5))

    @property
    def bound(self) -> float:
        """How long an accepted request may take after the last fault."""
        return self.shape.action_timeout + self.shape.lease_seconds


@dataclass
class Fault:
    what: str            # 'kill <host>', 'broker' or 'database'
    began: float         # seconds since the run's start
    ended: float
    recovery: float | None = None  # None: no probe went active within the bound


@dataclass
class Answer:
    method: str
    status: int
    at: float
    body: Any


@dataclass
class Result:
    settings: Settings
    answers: collections.Counter = field(default_factory=collections.Counter)
    server_errors: list[Answer] = field(default_factory=list)  # 5xx other than 503
    faults: list[Fault] = field(default_factory=list)
    accepted: int = 0
    stuck: list[dict[str, Any]] = field(default_factory=list)
    unended: list[dict[str, Any]] = field(default_factory=list)
    leaked: list[compute_nodes.Usage] = field(default_factory=list)
    ends: collections.Counter = field(default_factory=collections.Counter)
    error_faults: collections.Counter = field(default_factory=collections.Counter)
    exited: list[str] = field(default_factory=list)  # processes that died by themselves
    client_errors: list[str] = field(default_factory=list)  # the driver's own failures
    settle_seconds: float = 0.0
    run_seconds: float = 0.0

    @property
    def recoveries(self) -> list[float]:
        return [f.recovery for f in self.faults if f.recovery is not None]


class Recorder:
    """Every answer's status, from any thread."""

    def __init__(self, began: float) -> None:
        self.began = began
        self.lock = threading.Lock()
        self.answers: collections.Counter = collections.Counter()
        self.server_errors: list[Answer] = []
        self.accepted: set[str] = set()
        self.last_accepted = began

    def record(self, method: str, status: int, body: Any) -> None:
        at = time.monotonic() - self.began
        with self.lock:
            self.answers[(method, status)] += 1
            if status >= 500 and status != 503:
                self.server_errors.append(Answer(method, status, at, body))

    def accept(self, instance_id: str) -> None:
        with self.lock:
            self.accepted.add(instance_id)
            self.last_accepted = time.monotonic()


@contextlib.contextmanager
def private_servers() -> Iterator[tuple[private_rabbitmq.PrivateRabbitMQ,
                                        private_postgres.PrivatePostgres]]:
    """A private RabbitMQ node and PostgreSQL cluster, running; destroyed after."""
    node = private_rabbitmq.PrivateRabbitMQ.create(*_two_free_ports())
    cluster = private_postgres.PrivatePostgres.create(free_port())
    try:
        node.start()
        cluster.init()
        cluster.start()
        yield node, cluster
    finally:
        node.destroy()
        cluster.destroy()


def why_unavailable() -> str | None:
    return private_rabbitmq.why_unavailable() or private_postgres.why_unavailable()


def _two_free_ports() -> tuple[int, int]:
    first, second = free_port(), free_port()
    while second == first:
        second = free_port()
    return first, second


class ChaosRun:
    """One run on ``services``, a private ``node`` and a private ``cluster``."""

    def __init__(self, services: ServiceRunner, node: private_rabbitmq.PrivateRabbitMQ,
                 cluster: private_postgres.PrivatePostgres, settings: Settings,
                 say: Callable[[str], None] = lambda message: None) -> None:
        self.services = services
        self.node = node
        self.cluster = cluster
        self.settings = settings
        self.say = say
        self.random = random.Random(settings.seed)
        self.stop_load = threading.Event()
        self.faults: list[Fault] = []
        self.victims: list[str] = []
        self.exited: list[str] = []
        self.client_errors: list[str] = []
        self.began = 0.0
        self.last_fault_end = 0.0
        self.cloud: Deployment | None = None
        self.database: Database | None = None
        self.recorder: Recorder | None = None

    def run(self) -> Result:
        url = self.cluster.create_database('svcframe')
        self.database = open_database(url)
        try:
            self.cloud = Deployment(self.services, self.database, self.node.transport_url,
                                    url, self.settings.shape).start()
            self.say('deployment up: %s' % ', '.join(self.cloud.all_hosts()))
            return self._run()
        finally:
            self.database.close()

    def _run(self) -> Result:
        self.began = time.monotonic()
        self.recorder = Recorder(self.began)
        clients = [threading.Thread(target=self._client, args=(index,), daemon=True)
                   for index in range(self.settings.clients)]
        for client in clients:
            client.start()
        try:
            self._fault_loop()
        finally:
            self._restore()
            self.stop_load.set()
            for client in clients:
                client.join(timeout=120)
        run_seconds = time.monotonic() - self.began
        self.say('faults over after %.0f s; waiting for every instance to settle' % run_seconds)
        result = self._settle()
        result.run_seconds = run_seconds
        return result

    # --- the load ---------------------------------------------------------

    def _client(self, index: int) -> None:
        try:
            self._load(index)
        except Exception:  # a dead client would quietly thin the load
            self.client_errors.append(traceback.format_exc())

    def _load(self, index: int) -> None:
        """Create, and delete what went active, until told to stop."""
        mine: list[str] = []
        count = 0
        while not self.stop_load.is_set():
            count += 1
            instance_id = self._create('load-%d-%d' % (index, count))
            if instance_id:
                mine.append(instance_id)
            # The oldest first, a few a round: a stall does not turn this
            # client into a poller of hundreds.
            for instance_id in mine[:5]:
                if self._delete_if_done(instance_id):
                    mine.remove(instance_id)
            self.stop_load.wait(self.settings.client_pause)

    def _create(self, name: str) -> str | None:
        status, body = self.cloud.create(name)
        self.recorder.record('POST', status, body)
        if status != 202:
            return None
        self.recorder.accept(body['instance']['id'])
        return body['instance']['id']

    def _state(self, instance_id: str) -> str | None:
        """The instance's state; 'gone' once deleted; None when unknown now."""
        status, body = self.cloud.try_request('GET', '/v1/instances/%s' % instance_id)
        self.recorder.record('GET', status, body)
        if status == 404:
            return 'gone'
        return body['instance']['state'] if status == 200 else None

    def _delete_if_done(self, instance_id: str) -> bool:
        """Delete it if active; True when nothing more is to be done with it."""
        state = self._state(instance_id)
        if state in ('gone', 'error'):
            return True  # an error stays, for the checks at the end
        if state != 'active':
            return False
        status, body = self.cloud.try_request('DELETE', '/v1/instances/%s' % instance_id)
        self.recorder.record('DELETE', status, body)
        return status == 202

    # --- the faults -------------------------------------------------------

    def _fault_loop(self) -> None:
        end = self.began + self.settings.seconds
        number = 0
        while time.monotonic() < end:
            number += 1
            began = time.monotonic()
            fault = self._inflict(number)
            fault.recovery = self._probe(since=time.monotonic() - self.began)
            self.faults.append(fault)
            self.say('fault %d: %s, down %.1f s, recovered in %s' % (
                number, fault.what, fault.ended - fault.began,
                'never' if fault.recovery is None else '%.1f s' % fault.recovery))
            pause = began + self.settings.fault_interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)

    def _inflict(self, number: int) -> Fault:
        every = self.settings.infra_every
        self._note_exits()
        began = time.monotonic() - self.began
        if every and number % every == 0:
            what = BROKER if (number // every) % 2 else DATABASE
            self._outage(what)
        else:
            host = self._next_victim()
            self.cloud.kill_and_restart(host)
            what = 'kill %s' % host
        ended = time.monotonic() - self.began
        self.last_fault_end = ended
        return Fault(what, began, ended)

    def _next_victim(self) -> str:
        # Each process once per round, in a random order: a short run hits
        # every kind, where independent draws might miss the schedulers.
        if not self.victims:
            self.victims = self.cloud.all_hosts()
            self.random.shuffle(self.victims)
        return self.victims.pop()

    def _outage(self, what: str) -> None:
        if what == BROKER:
            self.node.stop_app()
            time.sleep(self.settings.down_seconds)
            self.node.start_app()
        else:
            self.cluster.stop()
            time.sleep(self.settings.down_seconds)
            self.cluster.start()

    def _probe(self, since: float) -> float | None:
        """Seconds from ``since`` until a probe created after it is active.

        A new probe every PROBE_EVERY seconds while none is active: one probe
        held up (its scheduling reply lost with the broker, say) does not
        hide that the next creates go through.
        """
        deadline = self.began + since + self.settings.bound
        probes: list[str] = []
        next_probe = 0.0
        while time.monotonic() < deadline:
            if time.monotonic() >= next_probe:
                next_probe = time.monotonic() + PROBE_EVERY
                instance_id = self._create('probe-%d' % (len(probes) + 1))
                if instance_id:
                    probes.append(instance_id)
            for instance_id in list(probes):
                state = self._state(instance_id)
                if state == 'active':
                    recovered = time.monotonic() - self.began - since
                    self._delete_if_done(instance_id)
                    return recovered
                if state in ('error', 'gone'):
                    probes.remove(instance_id)
            time.sleep(0.2)
        return None

    def _note_exits(self) -> None:
        """Record, and start again, any process that exited by itself (a crash)."""
        for host, process in list(self.cloud.processes.items()):
            if not process.running():
                self.exited.append('%s exited with %s: %s' % (
                    host, process.popen.returncode, _tail(process)))
                self.cloud.start_service(self.cloud.binaries[host], host)

    def _restore(self) -> None:
        """Broker and database up, every process running: the state to settle in."""
        if not self.node.app_running():
            self.node.start_app()
        if not self.cluster.running:
            self.cluster.start()
        if self.cloud is not None:
            self._note_exits()

    # --- the end ----------------------------------------------------------

    def _settle(self) -> Result:
        last = max(self.last_fault_end, self.recorder.last_accepted - self.began)
        deadline = self.began + last + self.settings.bound
        settle_began = time.monotonic()
        rows = self._rows()
        while _on_the_way(rows) and time.monotonic() < deadline:
            time.sleep(1.0)
            rows = self._rows()
        result = self._result(rows)
        result.settle_seconds = time.monotonic() - settle_began
        # Usage is read only once nothing is on its way: a claim made or freed
        # after the read would look like a leak.
        result.leaked = [usage for usage in compute_nodes.audit(self.database)
                         if not usage.matches]
        self._note_exits()
        result.exited = list(self.exited)
        result.client_errors = list(self.client_errors)
        return result

    def _rows(self) -> dict[str, dict[str, Any]]:
        """Every instance the database has, deleted ones too, by id."""
        query = sa.select(INSTANCES.c.uuid, INSTANCES.c.name, INSTANCES.c.state,
                          INSTANCES.c.fault, INSTANCES.c.deleted, INSTANCES.c.host,
                          INSTANCES.c.tried_hosts, INSTANCES.c.created_at,
                          INSTANCES.c.updated_at)
        with self.database.engine.connect() as connection:
            return {row.uuid: dict(row._mapping) for row in connection.execute(query)}

    def _result(self, rows: dict[str, dict[str, Any]]) -> Result:
        recorder = self.recorder
        result = Result(self.settings, answers=recorder.answers,
                        server_errors=recorder.server_errors, faults=self.faults,
                        accepted=len(recorder.accepted))
        # Also those whose 202 the client never got: the API died answering.
        result.stuck = _on_the_way(rows)
        for instance_id in recorder.accepted:
            row = rows.get(instance_id)
            end = _end(row)
            result.ends[end] += 1
            if end == 'error':
                result.error_faults[row['fault']] += 1
            elif end not in ('active', 'deleted'):
                result.unended.append(row or {'uuid': instance_id, 'state': 'missing'})
        return result


def _on_the_way(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows.values() if not row['deleted'] and row['state'] in ON_THE_WAY]


def _end(row: dict[str, Any] | None) -> str:
    """How an accepted instance ended: active, error (with a fault), deleted, or not."""
    if row is None:
        return 'missing'
    if row['deleted']:
        return 'deleted'
    if row['state'] == 'error':
        return 'error' if row['fault'] else 'error without a fault'
    return row['state']


def _tail(process: ServiceProcess, size: int = 1500) -> str:
    return (process.stderr + process.stdout)[-size:]


def report(result: Result) -> str:
    """The run's figures as Markdown tables."""
    settings, shape = result.settings, result.settings.shape
    answered = sum(n for (_, status), n in result.answers.items() if status != UNANSWERED)
    unanswered = sum(n for (_, status), n in result.answers.items() if status == UNANSWERED)
    statuses = collections.Counter()
    for (_, status), n in result.answers.items():
        statuses[status] += n
    lines = [
        'Chaos run: %.0f s of faults (seed %d), %d conductors, %d schedulers, %d computes, '
        'lease %d s, host step %d s, action timeout %d s; bound = action timeout + lease '
        '= %.0f s.' % (settings.seconds, settings.seed, shape.conductors, shape.schedulers,
                       shape.computes, shape.lease_seconds, shape.host_step_timeout,
                       shape.action_timeout, settings.bound),
        '',
        '| figure | value | goal |',
        '| --- | --- | --- |',
        '| requests answered | %d | |' % answered,
        '| requests unanswered (API restarting) | %d | |' % unanswered,
        '| answers by status | %s | |' % ', '.join(
            '%s: %d' % ('none' if status == UNANSWERED else status, n)
            for status, n in sorted(statuses.items())),
        '| 5xx other than 503 | %d | 0 |' % len(result.server_errors),
        '| creates accepted (202) | %d | |' % result.accepted,
        '| accepted, how they ended | %s | |' % ', '.join(
            '%s: %d' % item for item in sorted(result.ends.items())),
        '| instances stuck past the bound | %d | 0 |' % len(result.stuck),
        '| accepted instances not ended | %d | 0 |' % len(result.unended),
        '| claims leaked (hosts whose usage is wrong) | %d | 0 |' % len(result.leaked),
        '| processes that exited by themselves | %d | 0 |' % len(result.exited),
        '| settled after the faults within | %.1f s | %.0f s |' % (result.settle_seconds,
                                                                 settings.bound),
    ]
    lines += ['', '| fault | kind | at s | down s | recovery s |',
              '| --- | --- | --- | --- | --- |']
    for number, fault in enumerate(result.faults, 1):
        lines.append('| %d | %s | %.0f | %.1f | %s |' % (
            number, fault.what, fault.began, fault.ended - fault.began,
            'never' if fault.recovery is None else '%.1f' % fault.recovery))
    lines += ['', _recovery_summary(result)]
    lines += _details(result)
    return '\n'.join(lines)


def _recovery_summary(result: Result) -> str:
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for fault in result.faults:
        kind = fault.what if fault.what in (BROKER, DATABASE) else \
            fault.what.split()[1].rsplit('-', 2)[0]
        if fault.recovery is not None:
            by_kind[kind].append(fault.recovery)
    parts = ['%s: n=%d median %.1f s max %.1f s' % (
        kind, len(values), statistics.median(values), max(values))
        for kind, values in sorted(by_kind.items())]
    return 'Recovery (fault end until a new create is active) by kind: ' + '; '.join(parts)


def _details(result: Result) -> list[str]:
    lines = []
    if result.error_faults:
        lines += ['', 'Accepted instances that ended in error, by fault:']
        lines += ['- %d x %s' % (n, fault) for fault, n in result.error_faults.most_common()]
    for title, items in (('5xx other than 503', result.server_errors),
                         ('stuck', result.stuck), ('not ended', result.unended),
                         ('leaked', result.leaked), ('exited', result.exited),
                         ('load client failures', result.client_errors)):
        if items:
            lines += ['', '%s:' % title] + ['- %s' % (item,) for item in items[:20]]
    return lines


def new_runner(scratch: Path) -> ServiceRunner:
    """A ServiceRunner outside pytest (the bench): no plugin on its path."""
    (scratch / 'home').mkdir(exist_ok=True)
    (scratch / 'site').mkdir(exist_ok=True)
    return ServiceRunner(scratch, scratch / 'site')
