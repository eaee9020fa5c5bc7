"""A mutation campaign: which mutants, and what the unchanged suite said of each.

Every mutant's file is mutated in a package tree of its own (mutation/tree.py), the mutant's role is
served from that tree as the implementation under test (`mcsec serve --iut ROLE --iut-pythonpath TREE`;
its peers and the run's lab run the unchanged package) and `mcsec run --sut` judges it, as the external
kill matrix judges a faulty role (mcsec/commands/kill_matrix.py `Runs`). A baseline run of each role
served unchanged comes first. A mutant is killed when a scenario that judges its role and passed in the
baseline fails or errs; it survives when none does (a run identical to the baseline survives).
"""
from __future__ import annotations

import functools
import random
from collections.abc import Iterable
from dataclasses import dataclass

from mcsec.fixtures import verdicts
from mcsec.mutation import tree
from mcsec.mutation.equivalents import Equivalent
from mcsec.mutation.faultcode import FaultCode
from mcsec.mutation.operators import Mutant, generate, verify
from mcsec.mutation.targets import Target

KILLED, SURVIVED, EQUIVALENT, ERROR = "killed", "survived", "equivalent", "error"
STATUSES = (KILLED, SURVIVED, EQUIVALENT, ERROR)
KILLING = (verdicts.FAIL, verdicts.ERROR)


@dataclass(frozen=True)
class Planned:
    mutant: Mutant
    role: str


@functools.lru_cache(maxsize=1)
def fault_code() -> FaultCode:
    """The fault switches and fault-only code of the installed reference implementation."""
    return FaultCode.of_folder(tree.package_dir("impl"))


def mutants(targets: Iterable[Target], faults: FaultCode | None = None) -> list[Planned]:
    """Every mutant of the targets' files, in file order."""
    faults = faults or fault_code()
    found: list[Planned] = []
    for t in targets:
        source = tree.source_path(t.file).read_bytes()
        found += [Planned(m, t.role) for m in generate(t.file, source, faults)]
    return found


def sample(planned: list[Planned], n: int | None, seed: int) -> list[Planned]:
    """``n`` of the mutants chosen by ``seed`` (all when n is None or not smaller): the choice depends only on
    the set of mutant ids, not on the order the files were named in. Returned in file and line order."""
    if n is None or n >= len(planned):
        chosen = list(planned)
    else:
        by_id = sorted(planned, key=lambda p: p.mutant.id)
        chosen = random.Random(seed).sample(by_id, n)
    return sorted(chosen, key=lambda p: (p.mutant.file, p.mutant.start, p.mutant.end, p.mutant.operator))


def mutated_text(m: Mutant) -> bytes:
    """The mutated file, verified to parse, compile and differ (TreeError when not)."""
    source = tree.source_path(m.file).read_bytes()
    try:
        verify(m, source)
    except (SyntaxError, ValueError) as exc:
        raise tree.TreeError(f"the mutated file does not compile or does not differ: {exc}") from None
    return m.apply(source)


def judged(document: dict, role: str) -> dict[str, str]:
    """The verdicts of the scenarios of a run that judge ``role``."""
    return {s["id"]: s["verdict"] for s in document.get("scenarios", []) if role in s.get("judges", [])}


def base_record(p: Planned) -> dict:
    m = p.mutant
    return {"id": m.id, "file": m.file, "line": m.line, "function": m.function, "operator": m.operator,
            "original": m.original, "mutated": m.mutated, "role": p.role, "status": ERROR, "killed_by": [],
            "reason": "", "changed": {}, "duration_s": 0.0, "out": ""}


def equivalent_record(p: Planned, eq: Equivalent) -> dict:
    return {**base_record(p), "status": EQUIVALENT, "reason": eq.reason}


def classify(p: Planned, baseline: dict | None, document: dict | None, *, problem: str = "",
             duration_s: float = 0.0, out: str = "") -> dict:
    """The record of a mutant from its role's baseline results and its own run's (None: no results)."""
    row = {**base_record(p), "duration_s": round(duration_s, 3), "out": out}
    if baseline is None:
        row["reason"] = f"the baseline of the {p.role} served unchanged did not run"
        return row
    if document is None:
        row["reason"] = problem or "the run produced no results"
        return row
    before, after = judged(baseline, p.role), judged(document, p.role)
    row["changed"] = {sid: [before.get(sid, "absent"), v] for sid, v in after.items() if before.get(sid) != v}
    row["killed_by"] = [sid for sid, v in after.items() if v in KILLING and before.get(sid) == verdicts.PASS]
    ran = [sid for sid, v in after.items() if v != verdicts.NOT_APPLICABLE]
    if row["killed_by"]:
        row["status"] = KILLED
    elif not ran:
        row["reason"] = problem or f"no scenario judging the {p.role} ran"
    else:
        row["status"] = SURVIVED
        row["reason"] = (f"every scenario judging the {p.role} gave its baseline verdict" if not row["changed"]
                         else f"no scenario judging the {p.role} that passed in the baseline failed; "
                              f"{len(row['changed'])} verdict(s) differ from it")
    return row


def totals(rows: list[dict]) -> dict:
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    judged_n = counts[KILLED] + counts[SURVIVED]
    return {"mutants": len(rows), **counts,
            "score": round(counts[KILLED] / judged_n, 4) if judged_n else None}


def baseline_passes(document: dict | None, role: str) -> bool:
    """The role's unchanged baseline judged it with some scenario and every applicable one passed."""
    if document is None:
        return False
    v = list(judged(document, role).values())
    return verdicts.PASS in v and all(x in (verdicts.PASS, verdicts.NOT_APPLICABLE) for x in v)
