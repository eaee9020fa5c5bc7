"""Text from the SUT made safe to embed: characters XML 1.0 (and so junit.xml and HTML) cannot carry.

results.json holds text the implementation under test sent (reasons quote its answers). Control
characters other than tab, newline and carriage return, lone surrogates and U+FFFE/U+FFFF are not
allowed in XML 1.0; they are replaced by a visible `\\xNN` / `\\uNNNN` escape so nothing is lost
silently.
"""
from __future__ import annotations

import re

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_text(value: object) -> str:
    """`value` as a string every XML 1.0 and HTML consumer accepts."""
    return _NOT_XML.sub(_visible, str(value))
