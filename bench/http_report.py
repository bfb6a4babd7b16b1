"""The report of bench/http_bench.py: medians of the rounds, ratios and goals."""

from __future__ import annotations

import collections
import dataclasses
import signal
import statistics

from http_servers import Subject
from http_wrk import WrkResult

REFERENCE = 'reference'


@dataclasses.dataclass
class Measurement:
    """One wrk run on one subject in one round."""

    subject: Subject
    round_index: int
    result: WrkResult
    connections: collections.Counter  # established connections per server pid, mid-run
    keep_alive: bool  # answered two requests on one connection before the run


@dataclasses.dataclass
class StopResult:
    subject: Subject
    counts: collections.Counter  # ok, failed, refused, closed by server, died
    exit_code: int
    killed: bool  # did not exit within --stop-timeout
    exit_seconds: float
    failures: list[str]


@dataclasses.dataclass(frozen=True)
class Goal:
    """``numerator / denominator`` of the medians of ``figure``; no comparison: no goal."""

    numerator: str
    denominator: str
    figure: str  # a WrkResult field
    comparison: str | None = None  # '>=' or '<='
    target: float = 0.0


GOALS = [
    Goal('svcframe-trivial', REFERENCE, 'requests_per_second', '>=', 2.5),
    Goal('svcframe-1', REFERENCE, 'requests_per_second', '>=', 1.8),
    Goal('svcframe-2', REFERENCE, 'requests_per_second', '>=', 2.5),
    Goal('svcframe-2', 'gunicorn-2', 'requests_per_second', '>=', 3.0),
    Goal('svcframe-2', 'svcframe-1', 'p99_ms', '<=', 3.0),
    Goal('svcframe-1-metrics', 'svcframe-1', 'requests_per_second', '>=', 0.97),
    Goal('svcframe-1-threading', REFERENCE, 'requests_per_second', '>=', 1.0),
    Goal('svcframe-trivial', 'uwsgi-1', 'requests_per_second'),
]
FIGURE_LABELS = {'requests_per_second': 'req/s', 'p99_ms': 'p99'}
# Subjects whose SIGTERM row has a goal: no request failed.
STOP_GOAL_SUBJECTS = ('svcframe-1', 'svcframe-1-threading', 'svcframe-2')


# --- medians --------------------------------------------------------------

def by_subject(measurements: list[Measurement]) -> dict[str, list[Measurement]]:
    """The measurements of each subject, in round order, subjects in the order first run."""
    grouped: dict[str, list[Measurement]] = {}
    for measurement in sorted(measurements, key=lambda m: m.round_index):
        grouped.setdefault(measurement.subject.key, []).append(measurement)
    return grouped


def median_result(rounds: list[Measurement]) -> WrkResult:
    """The median of each figure over the rounds, taken separately; errors added up."""
    results = [measurement.result for measurement in rounds]
    return WrkResult(statistics.median(r.requests_per_second for r in results),
                     statistics.median(r.p50_ms for r in results),
                     statistics.median(r.p99_ms for r in results),
                     sum(r.errors for r in results))


def medians(measurements: list[Measurement]) -> dict[str, WrkResult]:
    return {key: median_result(rounds) for key, rounds in by_subject(measurements).items()}


def ratio(figures: dict[str, WrkResult], numerator: str, denominator: str,
          figure: str) -> float | None:
    """``numerator / denominator`` of ``figure``; None when either was not run."""
    if numerator not in figures or denominator not in figures:
        return None
    below = getattr(figures[denominator], figure)
    return getattr(figures[numerator], figure) / below if below else None


# --- tables ---------------------------------------------------------------

def format_ratio(value: float | None, width: int = 6) -> str:
    return '%*s' % (width, '-') if value is None else '%*.2f' % (width, value)


def print_throughput(subjects: list[Subject], measurements: list[Measurement]) -> None:
    figures = medians(measurements)
    print('%-28s %10s %6s %8s %6s %8s %6s %7s' % (
        'server (median of rounds)', 'req/s', 'ratio', 'p50 ms', 'ratio', 'p99 ms', 'ratio',
        'errors'))
    for subject in subjects:
        result = figures[subject.key]
        print('%-28s %10.0f %s %8.2f %s %8.2f %s %7d' % (
            subject.name, result.requests_per_second,
            format_ratio(ratio(figures, subject.key, REFERENCE, 'requests_per_second')),
            result.p50_ms, format_ratio(ratio(figures, subject.key, REFERENCE, 'p50_ms')),
            result.p99_ms, format_ratio(ratio(figures, subject.key, REFERENCE, 'p99_ms')),
            result.errors))


def round_ratios(measurements: list[Measurement], key: str) -> list[float | None]:
    """Each round's req/s of ``key`` over the reference's of that same round."""
    per_round: dict[int, dict[str, WrkResult]] = collections.defaultdict(dict)
    for measurement in measurements:
        per_round[measurement.round_index][measurement.subject.key] = measurement.result
    return [ratio(per_round[index], key, REFERENCE, 'requests_per_second')
            for index in sorted(per_round)]


def print_rounds(subjects: list[Subject], measurements: list[Measurement]) -> None:
    if not any(subject.key == REFERENCE for subject in subjects):
        print('req/s / reference per round: the reference was not run')
        return
    rounds = len({measurement.round_index for measurement in measurements})
    print('%-28s %s' % ('req/s / reference, by round',
                        ' '.join('%6s' % ('r%d' % (index + 1)) for index in range(rounds))))
    for subject in subjects:
        if subject.key != REFERENCE:
            print('%-28s %s' % (subject.name, ' '.join(
                format_ratio(value) for value in round_ratios(measurements, subject.key))))


def goal_label(goal: Goal) -> str:
    label = '%s / %s, %s' % (goal.numerator, goal.denominator, FIGURE_LABELS[goal.figure])
    return label if goal.comparison else label + ' (no goal)'


def goal_verdict(goal: Goal, value: float | None) -> str:
    if value is None:
        return 'not run'
    if goal.comparison is None:
        return ''
    met = value >= goal.target if goal.comparison == '>=' else value <= goal.target
    return 'PASS' if met else 'MISS'


def print_goals(measurements: list[Measurement]) -> None:
    figures = medians(measurements)
    print('%-44s %6s %9s  %s' % ('goal (ratio of the medians)', 'ratio', 'target', 'result'))
    for goal in GOALS:
        value = ratio(figures, goal.numerator, goal.denominator, goal.figure)
        target = '%2s %6g' % (goal.comparison, goal.target) if goal.comparison else ''
        print(('%-44s %s %9s  %s' % (goal_label(goal), format_ratio(value), target,
                                     goal_verdict(goal, value))).rstrip())


def print_connections(subjects: list[Subject], measurements: list[Measurement]) -> None:
    print('keep-alive, and established connections per server pid half-way through '
          'the last round:')
    grouped = by_subject(measurements)
    for subject in subjects:
        rounds = grouped[subject.key]
        spread = ', '.join('pid %d: %d' % item
                           for item in sorted(rounds[-1].connections.items()))
        keep_alive = 'yes' if all(m.keep_alive for m in rounds) else 'no'
        print('  %-28s %-3s  %s' % (subject.name, keep_alive, spread or '-'))


# --- SIGTERM under load ---------------------------------------------------

def describe_exit(result: StopResult) -> str:
    if result.killed:
        return 'killed'
    if result.exit_code < 0:
        return signal.Signals(-result.exit_code).name
    return str(result.exit_code)


def print_stops(results: list[StopResult], load_clients: int, load_seconds: float) -> None:
    print('SIGTERM under load: %d keep-alive clients on GET /, SIGTERM after %s s'
          % (load_clients, load_seconds))
    print('%-28s %8s %7s %8s %5s %7s %7s %7s %5s' % (
        'server', 'ok', 'failed', 'refused', 'died', 'closed', 'exit', 'exit s', 'goal'))
    for result in results:
        counts = result.counts
        print('%-28s %8d %7d %8d %5d %7d %7s %7.2f %5s' % (
            result.subject.name, counts['ok'], counts['failed'], counts['refused'],
            counts['died'], counts['closed by server'], describe_exit(result),
            result.exit_seconds, stop_verdict(result)))
    for result in results:
        for failure, count in collections.Counter(result.failures).most_common(3):
            print('  %s: %d x %s' % (result.subject.name, count, failure[:90]))


def stop_verdict(result: StopResult) -> str:
    """PASS when no request failed, for the subjects with that goal."""
    if result.subject.key not in STOP_GOAL_SUBJECTS:
        return '-'
    return 'PASS' if result.counts['failed'] == 0 else 'MISS'
