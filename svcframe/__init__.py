"""svcframe: a control plane run as cooperating service binaries.

Importing the package has no side effects: no option registration, no
eventlet patching. The console scripts in svcframe.cmd do that.
"""
