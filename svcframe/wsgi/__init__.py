"""svcframe's WSGI layer: the paste loader and the HTTP/1.1 server (on llhttp).

Neither knows about launchers or workers: svcframe.service.WSGIService
composes them, and svcframe.launch runs it.
"""
