"""Hooks for the whole test tree: a closing line per reason a test was skipped."""

from __future__ import annotations

import collections

import pytest


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix('Skipped: ')


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say, once per reason, how many tests were skipped, so none is skipped unseen."""
    skipped = [report for report in terminalreporter.stats.get('skipped', [])
               if report.skipped]
    counts = collections.Counter(_skip_reason(report) for report in skipped)
    if not counts:
        terminalreporter.write_line('svcframe: skipped no tests')
    for reason, count in counts.most_common():
        terminalreporter.write_line('svcframe: skipped %d test%s: %s'
                                    % (count, '' if count == 1 else 's', reason))
