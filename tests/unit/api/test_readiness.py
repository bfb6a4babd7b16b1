"""GET /healthcheck/ready: ready only with a database that answers and a conductor up."""

from __future__ import annotations

import datetime
import json

import webob
from oslo_config import cfg

from svcframe import exception
from svcframe.api.readiness import Readiness
from svcframe.db import models
from svcframe.db.api import Database


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


class BrokenDatabase:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.queries = 0

    def service_get_all(self, binary: str | None = None) -> list:
        self.queries += 1
        raise self.error


def probe(app: Readiness) -> tuple[int, dict]:
    response = webob.Request.blank('/').get_response(app)
    return response.status_int, json.loads(response.body)


def conductor(database: Database, seen_seconds_ago: float) -> None:
    service = database.service_create('c1', 'svcframe-conductor', 'conductor')
    database.service_report(service.id)
    database.service_update(service.id, {'last_seen_up': models.utcnow()
                                         - datetime.timedelta(seconds=seen_seconds_ago)})


def test_ready_when_a_conductor_is_up(conf: cfg.ConfigOpts, database: Database) -> None:
    conductor(database, seen_seconds_ago=1)

    assert probe(Readiness(conf, database)) == (200, {'status': 'ready'})


def test_not_ready_without_a_conductor_up_and_the_body_says_so(
        conf: cfg.ConfigOpts, database: Database) -> None:
    conductor(database, seen_seconds_ago=conf.service_down_time + 5)

    status, body = probe(Readiness(conf, database))

    assert status == 503
    assert body['error']['message'] == (
        'Not ready: no svcframe-conductor is up in the service registry (1 registered; a '
        'service is up when seen within [DEFAULT] service_down_time = 60 s).')


def test_not_ready_while_the_database_does_not_answer_and_the_answer_is_cached(
        conf: cfg.ConfigOpts) -> None:
    database = BrokenDatabase(exception.DatabaseUnavailable('postgresql://db/x', 'refused'))
    clock = Clock()
    app = Readiness(conf, database, clock=clock)

    first = probe(app)
    clock.now += 0.5
    second = probe(app)
    clock.now += 0.6
    probe(app)

    assert first == second
    assert first[0] == 503 and 'the database does not answer' in first[1]['error']['message']
    assert database.queries == 2  # one per second, however many probes


def test_not_ready_on_a_schema_that_needs_db_sync(conf: cfg.ConfigOpts) -> None:
    app = Readiness(conf, BrokenDatabase(exception.SchemaMismatch('sqlite:///x', None, '0004')))

    status, body = probe(app)

    assert status == 503 and 'svcframe-manage db sync' in body['error']['message']
