"""The kill matrix: which scenarios fail when a named fault of the reference implementation is on.

kill_matrix.json:
    {"suite": {"version", "started", "finished", "wall_time_s", "jobs"},
     "baseline": {<summary counts of the fault-free run>},
     "baseline_status": <its exit status>, "totals": {...},
     "faults": [{"fault", "role", "description", "requirements", "status", "reason",
                 "scenarios_run": [ids], "killed_by": [ids], "verdicts": {id: verdict},
                 "duration_s", "exit_status", "out"}]}
A fault's status: `killed` (a scenario citing one of its requirements did not pass), `survived`
(every scenario run passed: the suite cannot see the deviation), `not_runnable` (the lab does not start
the fault's role yet, or no scenario cites its requirements; the reason says which) or `error` (its run
did not produce results). `killed_by` lists the scenarios whose verdict is fail, error or inconclusive
(not_applicable is not a kill: the scenario did not run).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mcsec.fixtures import verdicts
from mcsec.fixtures.profile import LAB_ONLY_ICS, LAB_ONLY_WHY

KILLED, SURVIVED, NOT_RUNNABLE, ERROR = "killed", "survived", "not_runnable", "error"
FILENAME = "kill_matrix.json"
KILLING = (verdicts.FAIL, verdicts.ERROR, verdicts.INCONCLUSIVE)


@dataclass(frozen=True)
class Plan:
    """One fault and how it can be run."""
    fault: str
    role: str
    description: str
    requirements: tuple[str, ...]
    cited: tuple[str, ...]            # the fault's requirements some scenario cites
    scenarios: tuple[str, ...]        # the scenarios citing them
    reason: str = ""                  # why it cannot run; empty when runnable

    @property
    def runnable(self) -> bool:
        return not self.reason


def plan(fault, lab_roles: tuple[str, ...], citations: dict[str, list[str]], *, external: bool = False) -> Plan:
    """How to run `fault` (an impl.faults.Fault) with the lab's roles and the scenarios' citations; with
    ``external``, with the faulty role served as the product."""
    cited = tuple(r for r in fault.requirements if citations.get(r))
    scenarios = tuple(dict.fromkeys(s for r in cited for s in citations[r]))
    reason = ""
    lab_only = [item for item, value in getattr(fault, "ics", ())
                if value and fault.role in LAB_ONLY_ICS.get(item, ())]
    if getattr(fault, "unit_proof", ""):
        reason = f"not observable from outside the role (what it keeps internally); proved by {fault.unit_proof}"
    elif external and lab_only:
        reason = (f"shows only in scenarios that need ics.{', ics.'.join(lab_only)}, which a {fault.role} served as "
                  f"the product cannot claim ({'; '.join(LAB_ONLY_WHY[item] for item in lab_only)}); "
                  f"killed in the lab's matrix")
    elif fault.role not in lab_roles:
        reason = f"the lab does not start the {fault.role} role yet (it starts {', '.join(lab_roles)})"
    elif not cited:
        reason = f"no scenario cites {', '.join(fault.requirements)}"
    return Plan(fault.name, fault.role, fault.description, tuple(fault.requirements), cited, scenarios, reason)


def entry(p: Plan, document: dict | None = None, *, exit_status: int | None = None, duration_s: float = 0.0,
          out: str = "", problem: str = "", judged_by: str | None = None) -> dict:
    """The matrix row of one fault, from its run's results document (None: it did not run). With
    ``judged_by`` (the external matrix: the faulty role served as the product) only a scenario that judges
    that role and fails (or errs) kills it."""
    row = {"fault": p.fault, "role": p.role, "description": p.description, "requirements": list(p.requirements),
           "status": NOT_RUNNABLE, "reason": p.reason, "scenarios_run": [], "killed_by": [], "verdicts": {},
           "duration_s": round(duration_s, 3), "exit_status": exit_status, "out": out}
    if not p.runnable:
        return row
    if document is None:
        row["status"], row["reason"] = ERROR, problem or "the run produced no results"
        return row
    row["verdicts"] = {s["id"]: s["verdict"] for s in document["scenarios"]}
    row["scenarios_run"] = [i for i, v in row["verdicts"].items() if v != verdicts.NOT_APPLICABLE] \
        if judged_by else list(row["verdicts"])
    if judged_by:
        judging = {s["id"] for s in document["scenarios"] if judged_by in s.get("judges", [])}
        row["killed_by"] = [i for i, v in row["verdicts"].items()
                            if i in judging and v in (verdicts.FAIL, verdicts.ERROR)]
    else:
        row["killed_by"] = [i for i, v in row["verdicts"].items() if v in KILLING]
    if row["killed_by"]:
        row["status"], row["reason"] = KILLED, ""
    elif not row["scenarios_run"]:
        row["status"], row["reason"] = ERROR, problem or "no scenario ran"
    else:
        row["status"] = SURVIVED
        row["reason"] = (f"no scenario judging the {judged_by} failed with the fault on" if judged_by
                         else "every scenario citing its requirements passed with the fault on")
    return row


def totals(rows: list[dict]) -> dict:
    runnable = [r for r in rows if r["status"] != NOT_RUNNABLE]
    return {
        "faults": len(rows), "runnable": len(runnable),
        "killed": sum(r["status"] == KILLED for r in rows), "survived": sum(r["status"] == SURVIVED for r in rows),
        "not_runnable": len(rows) - len(runnable), "error": sum(r["status"] == ERROR for r in rows),
        "scenario_runs": sum(len(r["scenarios_run"]) for r in rows),
    }


def summed(summaries: list[dict]) -> dict:
    total: dict[str, int] = {}
    for summary in summaries:
        for verdict, n in summary.items():
            total[verdict] = total.get(verdict, 0) + n
    return total


def baseline_passes(matrix: dict) -> bool:
    """The fault-free run ran scenarios and every applicable one passed (a scenario for the other side of
    an ICS item, not applicable to the reference profile, is exercised by the faults that switch it)."""
    baseline = matrix.get("baseline") or {}
    ok = (verdicts.PASS, verdicts.NOT_APPLICABLE)
    return baseline.get(verdicts.PASS, 0) > 0 and all(n == 0 for v, n in baseline.items() if v not in ok)


def unkilled(rows: list[dict], scenario_ids: list[str], explained: dict[str, str] | None = None) -> list[str]:
    """The scenarios no fault made fail (they could pass vacuously), but those ``explained`` lists."""
    killed = {s for row in rows for s in row.get("killed_by", [])}
    return [s for s in scenario_ids if s not in killed and s not in (explained or {})]


def unkilled_explained(rows: list[dict], scenario_ids: list[str], explained: dict[str, str]) -> dict[str, str]:
    """The listed scenarios no fault made fail, with why."""
    killed = {s for row in rows for s in row.get("killed_by", [])}
    return {s: explained[s] for s in scenario_ids if s not in killed and s in explained}


def exit_status(matrix: dict) -> int:
    """1 when a fault survives, a scenario is made to fail by no fault, or the baseline is not all pass;
    3 when a fault run broke; else 0."""
    if not baseline_passes(matrix) or any(r["status"] == SURVIVED for r in matrix["faults"]) \
            or matrix.get("unkilled_scenarios"):
        return 1
    if any(r["status"] == ERROR for r in matrix["faults"]):
        return 3
    return 0


def load(path: Path) -> dict | None:
    """kill_matrix.json of a folder, or None when there is none or it is unreadable."""
    try:
        matrix = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(matrix, dict) or not isinstance(matrix.get("faults"), list):
        return None
    return matrix


def longest_first(plans: list[Plan], previous: dict | None) -> list[Plan]:
    """The order to start fault runs in so that the matrix's last minutes are not one long run alone:
    longest first, by each fault's duration in ``previous`` (the last matrix written to the same folder)
    when it has one, else by the number of scenarios it runs (after every fault with a known duration).
    Ties keep the registry's order."""
    known: dict[str, float] = {}
    for row in (previous or {}).get("faults", []):
        if isinstance(row, dict) and isinstance(row.get("fault"), str) \
                and isinstance(row.get("duration_s"), (int, float)) and not isinstance(row["duration_s"], bool):
            known[row["fault"]] = float(row["duration_s"])
    return sorted(plans, key=lambda p: (p.fault not in known, -known.get(p.fault, 0.0), -len(p.scenarios)))


def write(matrix: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(matrix, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
