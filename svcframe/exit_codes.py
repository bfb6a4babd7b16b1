"""The exit codes of every svcframe console script, in one table."""

OK = 0
CONFIG_ERROR = 1        # bad option value, config file or plugin: one line on stderr
USAGE_ERROR = 2         # bad command line, reported by argparse
START_FAILED = 3        # the service could not start; the log says why
STOP_TIMEOUT = 4        # stopping took longer than graceful_shutdown_timeout
INTERNAL_ERROR = 5      # an unexpected error, a bug; its traceback is in the log
AUDIT_MISMATCH = 6      # svcframe-manage instance audit found usage to repair
