"""svcframe: a control plane run as cooperating service binaries.

Importing the package registers no option and patches nothing: the console
scripts in svcframe.cmd do that. It does one thing to the process, below.
"""

import warnings

# eventlet warns on import with a nine-line EventletDeprecationWarning.
# svcframe runs on eventlet by choice (for now), so the notice says
# nothing an operator can act on, and it buries the one-line errors on
# stderr. Every path into svcframe imports this package before eventlet:
# the console scripts, oslo-config-generator (svcframe.conf imports
# oslo.messaging, which imports eventlet), a plugin's own command line and
# the WSGI entry point under gunicorn. The category cannot be named without
# importing eventlet, and the module is whichever imports it first, so the
# filter matches the notice's own first words, and only them.
EVENTLET_NOTICE = r'\s*Eventlet is deprecated'
warnings.filterwarnings('ignore', message=EVENTLET_NOTICE)
