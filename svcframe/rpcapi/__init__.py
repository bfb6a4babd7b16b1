"""One small, versioned RPC client class per topic.

The clients live below every manager, so a manager imports the clients of
the services it calls and never another manager's package.
"""
