"""A plugin package outside svcframe, used by svcframe's integration tests."""
