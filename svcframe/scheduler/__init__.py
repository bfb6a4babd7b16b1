"""The built-in scheduler package."""
