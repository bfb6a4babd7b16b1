"""CPU per access line: svcframe.wsgi.access_log against oslo.log's own path.

Run from the repository root:

    .venv/bin/python bench/access_line.py [--lines 200000] [--rounds 3] [--eventlet]

Sets up oslo.log the way every svcframe binary does (svcframe.config.parse_args
with ``--log-file`` in a temporary directory), once with text lines and once
with ``--use-json``, and times ``AccessLog.write`` and, as the reference in the
same run, the same line through oslo.log's normal path: ``LOG.info(format,
values, context=...)`` with a request context. Rounds alternate the two;
each figure is the median over the rounds of process CPU time
(``time.process_time``, user and system) per line. ``--eventlet``
monkey-patches first, as svcframe-api does, so that handler locks are
oslo.log's pipe locks.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

GOAL_US = 5.0
BINARY = 'svcframe-api'
REQUEST_ID = 'req-2dc764dc-a832-4bc1-9064-dab9f164a3ce'
REQUEST = ('192.0.2.10', 'GET', '/v1/services?host=node-1', 'HTTP/1.1', 200, 327, 0.0036228)


def cpu_us_per_line(write: Callable[[], None], lines: int) -> float:
    start = time.process_time()
    for _ in range(lines):
        write()
    return (time.process_time() - start) / lines * 1e6


def measure(directory: Path, use_json: bool, lines: int, reference_lines: int,
            rounds: int) -> tuple[float, float, str]:
    """Median µs per line of (AccessLog.write, oslo.log's path), and the sinks used."""
    import logging

    from oslo_config import cfg
    from oslo_log import log

    from svcframe import config
    from svcframe.context import RequestContext
    from svcframe.wsgi import access_log

    log_file = directory / ('json.log' if use_json else 'text.log')
    empty_config = directory / 'svcframe.conf'
    empty_config.write_text('')
    conf = cfg.ConfigOpts()
    config.parse_args(['--config-file', str(empty_config), '--log-file', str(log_file)]
                      + (['--use-json'] if use_json else []), BINARY, conf)
    access = access_log.AccessLog.from_conf(conf, BINARY)
    assert access is not None
    oslo_logger = log.getLogger(access_log.LOGGER_NAME)
    context = RequestContext(request_id=REQUEST_ID, overwrite=False)
    log_format = conf.wsgi.wsgi_log_format
    client_ip, method, target, version, status, length, seconds = REQUEST

    ours = functools.partial(access.write, *REQUEST, REQUEST_ID)

    def reference() -> None:
        oslo_logger.info(log_format, {
            'client_ip': client_ip, 'request_line': '%s %s %s' % (method, target, version),
            'status_code': status, 'body_length': length, 'wall_seconds': seconds,
            'request_id': REQUEST_ID}, context=context)

    figures: dict[str, list[float]] = {'ours': [], 'reference': []}
    for _ in range(rounds):
        for name, write, count in (('ours', ours, lines),
                                   ('reference', reference, reference_lines)):
            log_file.write_text('')  # the handler appends: keep the disk use small
            write()
            figures[name].append(cpu_us_per_line(write, count))
    sinks = ', '.join(type(sink).__name__ for sink in access.sinks)
    for handler in logging.getLogger().handlers:
        handler.close()
    return statistics.median(figures['ours']), statistics.median(figures['reference']), sinks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--lines', type=int, default=200_000, help='lines per timed run')
    parser.add_argument('--reference-lines', type=int, default=20_000,
                        help='lines per timed run of the reference, ten times slower')
    parser.add_argument('--rounds', type=int, default=3, help='timed runs of each subject')
    parser.add_argument('--eventlet', action='store_true',
                        help='monkey-patch first, as svcframe-api does')
    args = parser.parse_args()
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    if args.eventlet:
        import eventlet
        eventlet.monkey_patch()

    print('CPU per access line, %d lines (reference: %d) x %d rounds, %s'
          % (args.lines, args.reference_lines, args.rounds,
             'eventlet (monkey-patched)' if args.eventlet else 'not monkey-patched'))
    print('%-6s %-34s %8s %7s  %s' % ('format', 'subject', 'us/line', 'ratio', 'goal'))
    with tempfile.TemporaryDirectory(prefix='access-line-') as directory:
        for use_json in (False, True):
            ours, reference, sinks = measure(Path(directory), use_json, args.lines,
                                             args.reference_lines, args.rounds)
            kind = 'json' if use_json else 'text'
            verdict = 'PASS' if ours <= GOAL_US else 'MISS'
            print('%-6s %-34s %8.2f %7.3f  <= %.1f us: %s'
                  % (kind, 'AccessLog.write (%s)' % sinks, ours, ours / reference,
                     GOAL_US, verdict))
            print('%-6s %-34s %8.2f %7.3f' % (kind, 'oslo.log LOG.info (reference)',
                                               reference, 1.0))
    print('ratio: AccessLog.write / reference (lower is better). The goal is stated '
          'for the text line of the default set-up; JSON is shown against it too.')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
