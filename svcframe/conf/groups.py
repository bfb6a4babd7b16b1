"""Registering and listing an option group.

oslo.config keeps overrides inside the OptGroup object, so every ConfigOpts
gets an OptGroup of its own: a module-level one would carry one test's
overrides into the next.
"""

from __future__ import annotations

from oslo_config import cfg


def register(conf: cfg.ConfigOpts, name: str, title: str,
             opts: list[cfg.Opt]) -> None:
    conf.register_group(cfg.OptGroup(name, title=title))
    conf.register_opts(opts, group=name)


def listing(name: str, title: str,
            opts: list[cfg.Opt]) -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return [(cfg.OptGroup(name, title=title), opts)]
