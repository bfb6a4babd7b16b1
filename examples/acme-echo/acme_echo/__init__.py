"""acme-echo: an example svcframe plugin that echoes text and counts ticks."""
