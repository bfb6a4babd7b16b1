"""Monkey-patch the standard library for eventlet, once, at the top of main().

This module imports nothing from svcframe or oslo, so importing it before the
patch is safe.
"""

import warnings


def monkey_patch() -> None:
    # eventlet prints a multi-line deprecation notice on import; svcframe's
    # use of eventlet is a documented choice, and operators need the one-line
    # errors on stderr to stay one line.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import eventlet
    eventlet.monkey_patch()
