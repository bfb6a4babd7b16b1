"""The ``workers`` option shared by groups whose service may fork."""

from __future__ import annotations

import os

from oslo_config import cfg


def workers_opt(binary: str) -> cfg.Opt:
    return cfg.IntOpt(
        'workers',
        default=os.cpu_count() or 1,
        min=1,
        sample_default='<number of CPUs>',
        help='Number of %s worker processes. With more than one, a parent '
             'process supervises them and replaces any that dies.' % binary)
