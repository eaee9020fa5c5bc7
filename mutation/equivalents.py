"""The reviewed list of equivalent mutants (mutation/equivalents.toml): mutants no implementation-visible
behaviour can tell from the original, each with the reviewer's reason. They are reported as
``equivalent``, not run, and left out of the score.

    [[equivalent]]
    id = "m1a2b3c4d"                      # the mutant's id (`mcsec mutate --list` prints it)
    file = "impl/kms/tokens.py"           # for the reader; checked against the mutant
    change = "x < 3 => x <= 3"            # for the reader
    reason = "why no behaviour differs"
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

MUTANT_ID = re.compile(r"^m[0-9a-f]{8}$")


class EquivalentsError(ValueError):
    pass


@dataclass(frozen=True)
class Equivalent:
    id: str
    file: str
    change: str
    reason: str


def default_path() -> Path:
    return Path(str(resources.files("mcsec.mutation") / "equivalents.toml"))


def parse(text: str, where: str = "equivalents.toml") -> dict[str, Equivalent]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EquivalentsError(f"{where}: not TOML: {exc}") from None
    unknown = set(data) - {"equivalent"}
    if unknown:
        raise EquivalentsError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}")
    result: dict[str, Equivalent] = {}
    for n, entry in enumerate(data.get("equivalent", []), 1):
        if not isinstance(entry, dict):
            raise EquivalentsError(f"{where}: equivalent #{n} is not a table")
        extra = set(entry) - {"id", "file", "change", "reason"}
        if extra:
            raise EquivalentsError(f"{where}: equivalent #{n}: unknown field(s) {', '.join(sorted(extra))}")
        fields = {k: entry.get(k) for k in ("id", "file", "change", "reason")}
        for key, value in fields.items():
            if not isinstance(value, str) or not value.strip():
                raise EquivalentsError(f"{where}: equivalent #{n}: {key} must be a non-empty string")
        if not MUTANT_ID.match(fields["id"]):
            raise EquivalentsError(f"{where}: equivalent #{n}: id {fields['id']!r} is not a mutant id (m + 8 hex)")
        if fields["id"] in result:
            raise EquivalentsError(f"{where}: equivalent #{n}: {fields['id']} listed twice")
        result[fields["id"]] = Equivalent(**fields)
    return result


def load(path: Path | None = None) -> dict[str, Equivalent]:
    path = path or default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EquivalentsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse(text, str(path))
