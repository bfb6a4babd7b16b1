"""The SQL service registry: models, migrations and the queries on them.

Only the conductor and the API touch the database; compute and scheduler
ask the conductor over RPC, so a compute host holds no database credentials.
"""
