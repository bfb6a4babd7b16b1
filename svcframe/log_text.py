"""Text from outside (a client, or the database it wrote to) on one log or terminal line.

A client chooses instance names, reasons, paths and header values. Written
raw, a newline in one forges a log line and an ESC sequence rewrites an
operator's terminal. ``escape`` writes every character that could do either
as ``\\xNN`` (``\\uNNNN`` past U+00FF) and a backslash as two, so an escaped
text is one line and reads back unambiguously. ``first_unsafe`` finds such a
character, for the places that refuse the text rather than escape it.

The characters: C0 controls (newline and tab among them), DEL, C1 controls,
U+2028 and U+2029 (line and paragraph separators, which some readers split
lines on) and lone surrogates (which no log file encoding can write).

This module imports nothing from svcframe, so every layer may use it.
"""

from __future__ import annotations

import re

_UNSAFE = '\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff'
_ESCAPED = re.compile('[%s\\\\]' % _UNSAFE)
_REFUSED = re.compile('[%s]' % _UNSAFE)


def escape(text: str) -> str:
    """``text`` with unsafe characters as ``\\xNN`` or ``\\uNNNN`` and a backslash doubled."""
    if text.isprintable() and '\\' not in text:
        return text  # the common case: one C loop over the string
    return _ESCAPED.sub(_escaped, text)


def _escaped(match: re.Match) -> str:
    char = match.group()
    if char == '\\':
        return '\\\\'
    code = ord(char)
    return '\\x%02x' % code if code <= 0xff else '\\u%04x' % code


def first_unsafe(text: str) -> int | None:
    """The index of the first character ``escape`` would write escaped (a
    backslash aside), or None when the text is safe as it is."""
    if text.isprintable():
        return None
    match = _REFUSED.search(text)
    return match.start() if match else None


def describe_unsafe(text: str) -> str | None:
    """Which unsafe character ``text`` holds and where, for an error message;
    None when it holds none. Like ``'U+000A at position 3'``."""
    index = first_unsafe(text)
    if index is None:
        return None
    return 'U+%04X at position %d' % (ord(text[index]), index)
