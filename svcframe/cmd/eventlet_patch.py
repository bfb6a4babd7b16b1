"""Monkey-patch the standard library for eventlet, once, at the top of main().

This module imports nothing from svcframe's modules or oslo, so importing it
before the patch is safe.
"""

import warnings

import svcframe


def silence_deprecation_notice() -> None:
    """Hide eventlet's multi-line deprecation notice on import.

    Importing svcframe already did (svcframe/__init__.py says why); this
    repeats it for a process whose warning filters were reset since.
    """
    warnings.filterwarnings('ignore', message=svcframe.EVENTLET_NOTICE)


def monkey_patch() -> None:
    silence_deprecation_notice()
    import eventlet
    eventlet.monkey_patch()
