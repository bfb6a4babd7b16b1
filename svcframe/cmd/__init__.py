"""One main() per console script.

These modules are the only place that chooses the backend (svcframe.backend:
eventlet's monkey patching, or none of eventlet) and installs signal
handlers, so they import nothing at module level.
"""
