"""One main() per console script.

These modules are the only place that monkey-patches eventlet and installs
signal handlers, so they import nothing at module level.
"""
