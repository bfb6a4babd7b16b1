"""svcframe's WSGI layer: the paste loader and the eventlet server.

Neither knows about launchers or workers: svcframe.service.WSGIService
composes them, and svcframe.launch runs it.
"""
