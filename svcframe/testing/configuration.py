"""make_conf(): a parsed configuration of a test's own."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from oslo_config import cfg

from svcframe import conf as svcframe_conf

# What a test needs that a deployment's defaults get wrong: no random delay
# before the first periodic task, and every service on the in-memory
# transport of this process. A fixed host name makes RPC aimed at a host
# predictable in tests.
TEST_DEFAULTS: Mapping[str, Any] = {
    'host': 'test-host',
    'transport_url': 'fake://',
    'periodic_fuzzy_delay': 0,
}

Overrides = Mapping[str | None, Mapping[str, Any]]
OptionList = Iterable[tuple[str | None, Sequence[cfg.Opt]]]


def make_conf(state_path: str | os.PathLike[str], overrides: Overrides | None = None,
              opts: OptionList = ()) -> cfg.ConfigOpts:
    """A fresh ConfigOpts with every svcframe option, parsed without files.

    ``state_path`` is a directory of the test's own (pytest's ``tmp_path``):
    the embedded SQLite database goes there. ``overrides`` maps a group
    (``'DEFAULT'`` or None for the default group) to ``{option: value}``.
    ``opts`` registers a plugin's own options first, in the shape of an
    ``oslo.config.opts`` ``list_opts()``: ``[(group, [opt, ...]), ...]``.
    An unknown group or option raises oslo.config's NoSuchOptError.
    """
    conf = cfg.ConfigOpts()
    svcframe_conf.register_all(conf)
    for group, group_opts in opts:
        conf.register_opts(group_opts, group=_group(group))
    # default_config_dirs too: otherwise /etc/svcframe/svcframe.conf.d of the
    # machine running the tests would be read.
    conf([], project='svcframe', default_config_files=[], default_config_dirs=[])
    os.makedirs(state_path, exist_ok=True)
    # Defaults rather than overrides, so that a test's set_override() and
    # clear_override() work on these as on any other option.
    conf.set_default('state_path', os.fspath(state_path))
    for name, value in TEST_DEFAULTS.items():
        conf.set_default(name, value)
    for group, values in (overrides or {}).items():
        for name, value in values.items():
            conf.set_override(name, value, group=_group(group))
    return conf


def _group(name: str | None) -> str | None:
    return None if name in (None, 'DEFAULT') else name
