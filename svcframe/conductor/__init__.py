"""The built-in conductor package."""
