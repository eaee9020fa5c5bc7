"""A small HTML builder: every string is escaped unless it is already `Markup`.

    el("td", scenario["reason"], class_="reason")   # the reason is escaped
    el("p", "Verdict: ", el("b", verdict))         # nested elements are kept as markup

Attribute names end with `_` when they clash with Python keywords (`class_`, `for_`);
`None` and `False` attributes are left out, `True` ones are written bare.
"""
from __future__ import annotations

import html
from typing import Iterable

from mcsec.reports.textsafe import xml_text

VOID = frozenset({"br", "hr", "img", "meta", "link", "col", "wbr"})


class Markup(str):
    """A string that is already HTML."""

    __slots__ = ()


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(xml_text("" if value is None else value), quote=True))


def join(parts: Iterable[object], sep: str = "") -> Markup:
    return Markup(escape(sep).join(escape(p) for p in parts))


def _attrs(attrs: dict[str, object]) -> str:
    out = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        out.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return "".join(out)


def el(tag: str, *children: object, **attrs: object) -> Markup:
    """`<tag attrs>children</tag>`; children may be strings, Markup, None (skipped) or iterables."""
    opening = f"<{tag}{_attrs(attrs)}>"
    if tag in VOID:
        return Markup(opening)
    return Markup(f"{opening}{_children(children)}</{tag}>")


def _children(children: Iterable[object]) -> str:
    parts = []
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, (list, tuple)) or (hasattr(child, "__iter__") and not isinstance(child, str)):
            parts.append(_children(child))
        else:
            parts.append(escape(child))
    return "".join(parts)
