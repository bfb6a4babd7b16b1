"""Text from outside on one log or terminal line."""

from __future__ import annotations

import re

import pytest

from svcframe import log_text

# Every character up to U+3000, every surrogate, and a few beyond.
EVERY = ''.join(map(chr, [*range(0x3000), *range(0xd800, 0xe000), 0xfeff, 0x1f600]))


def unescape(text: str) -> str:
    return re.sub(r'\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})',
                  lambda m: '\\' if m.group(1) == '\\' else chr(int(m.group(1)[1:], 16)),
                  text)


@pytest.mark.parametrize('text, escaped', [
    ('/v1/services', '/v1/services'),
    ('/a\x1b[2J\r\nb', '/a\\x1b[2J\\x0d\\x0ab'),
    ('\x00\t\x7f\x80\x85\x9f', '\\x00\\x09\\x7f\\x80\\x85\\x9f'),
    ('/a\\x41', '/a\\\\x41'),
    ('caf\u00e9 \u00a0 \u2013 \U0001f600', 'caf\u00e9 \u00a0 \u2013 \U0001f600'),
    ('a\u2028b\u2029c', 'a\\u2028b\\u2029c'),
    ('a\ud800b\udfff', 'a\\ud800b\\udfff'),
])
def test_escape(text: str, escaped: str) -> None:
    assert log_text.escape(text) == escaped


def test_an_escaped_text_is_one_line_that_reads_back_as_it_was() -> None:
    escaped = log_text.escape(EVERY)

    assert escaped.splitlines() == [escaped]
    assert not re.search('[\x00-\x1f\x7f-\x9f\ud800-\udfff]', escaped)
    escaped.encode('utf-8')  # no lone surrogate left for a log file to choke on
    assert unescape(escaped) == EVERY


@pytest.mark.parametrize('text, index, described', [
    ('web-1', None, None),
    ('back\\slash and caf\u00e9', None, None),
    ('a\nb', 1, 'U+000A at position 1'),
    ('ok\x1b[2J', 2, 'U+001B at position 2'),
    ('x\u2028', 1, 'U+2028 at position 1'),
    ('\ud800', 0, 'U+D800 at position 0'),
    ('nbsp\u00a0is fine', None, None),
])
def test_first_unsafe_and_describe_unsafe(text: str, index: int | None,
                                          described: str | None) -> None:
    assert log_text.first_unsafe(text) == index
    assert log_text.describe_unsafe(text) == described
