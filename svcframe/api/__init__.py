"""The HTTP API: paste filters, the router and its controllers.

Paste builds these from ``etc/svcframe/api-paste.ini`` through the
``factory`` class methods. PasteDeploy can only hand factories strings, so
the factories, like oslo.middleware's, read the process's global ``cfg.CONF``
(which the console script parsed); everything below a factory receives
``conf`` as an argument.
"""
