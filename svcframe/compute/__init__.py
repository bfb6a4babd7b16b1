"""The built-in compute package."""
