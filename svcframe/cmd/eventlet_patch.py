"""Monkey-patch the standard library for eventlet, once, at the top of main().

This module imports nothing from svcframe or oslo, so importing it before the
patch is safe.
"""

import warnings


def silence_deprecation_notice() -> None:
    """eventlet prints a multi-line deprecation notice on import.

    svcframe's use of eventlet is a documented choice, and operators need the
    one-line errors on stderr to stay one line.
    """
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')


def monkey_patch() -> None:
    silence_deprecation_notice()
    import eventlet
    eventlet.monkey_patch()
