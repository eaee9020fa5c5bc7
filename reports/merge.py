"""One results document from several: the shards of a run (`mcsec run --shard K/N`, or the workers of
`mcsec run --jobs N`) put back together, identical in verdicts to the run made in one piece.

Scenarios are kept once each, in the order the features give them (the order a run in one piece
reports); summary and requirement verdicts are counted again; the suite section spans the earliest
start to the latest end. Shards of different profiles, or with a scenario twice, are refused.
"""
from __future__ import annotations

import datetime as _dt
import shutil
from pathlib import Path

from mcsec.reports import results


class MergeError(ValueError):
    """The documents cannot be one run; the message says why."""


_SUT_KEYS_THAT_MUST_AGREE = ("name", "version", "iut_roles", "clauses", "faults", "sip_core", "topology",
                             "profile", "kms_uri", "protection_required")


def merge(documents: list[dict], order: list[str] | None = None) -> dict:
    """The merged document. ``order``: scenario ids in the features' order (unknown ids go last, by id)."""
    if not documents:
        raise MergeError("nothing to merge")
    first = documents[0]
    for i, doc in enumerate(documents[1:], start=2):
        for key in _SUT_KEYS_THAT_MUST_AGREE:
            if doc["sut"].get(key) != first["sut"].get(key):
                raise MergeError(f"document {i} was run against another profile: sut.{key} "
                                 f"{doc['sut'].get(key)!r} != {first['sut'].get(key)!r}")
    seen: dict[str, int] = {}
    scenarios = []
    for i, doc in enumerate(documents, start=1):
        for s in doc["scenarios"]:
            if s["id"] in seen:
                raise MergeError(f"scenario {s['id']} is in document {seen[s['id']]} and document {i}")
            seen[s["id"]] = i
            scenarios.append(s)
    rank = {sid: n for n, sid in enumerate(order or [])}
    scenarios.sort(key=lambda s: (rank.get(s["id"], len(rank)), s["id"]))
    starts = [_dt.datetime.fromisoformat(d["suite"]["started"]) for d in documents]
    ends = [_dt.datetime.fromisoformat(d["suite"]["finished"]) for d in documents]
    suite = dict(first["suite"])
    suite.update(started=min(starts).isoformat(timespec="seconds"), finished=max(ends).isoformat(timespec="seconds"),
                 duration_s=round((max(ends) - min(starts)).total_seconds(), 3),
                 interrupted=any(d["suite"].get("interrupted") for d in documents),
                 errors=[e for d in documents for e in d["suite"].get("errors", [])], shards=len(documents))
    logs = [d["suite"]["key_log"] for d in documents if (d["suite"].get("key_log") or {}).get("enabled")]
    if logs:  # the shards append to one file; a key two shards both learnt is counted once per shard
        suite["key_log"] = dict(logs[0], keys=sum(k["keys"] for k in logs),
                                certificates=sum(k["certificates"] for k in logs),
                                unresolved=sorted({u for k in logs for u in k["unresolved"]}))
    requirements = [dict(r, scenarios=[s["id"] for s in scenarios if r["id"] in s["requirements"]])
                    for r in first["requirements"]]
    merged = {**{k: v for k, v in first.items() if k not in ("waivers",)}, "suite": suite,
              "requirements": requirements, "scenarios": scenarios}
    results.refresh(merged)
    return merged


def move_evidence(shard_dir: Path, out_dir: Path, *, logs_as: str) -> None:
    """A shard's evidence folders into the run's, and its role logs under logs/<logs_as>/."""
    for folder in ("evidence",):
        source = shard_dir / folder
        if source.is_dir():
            for scenario in source.iterdir():
                target = out_dir / folder / scenario.name
                if target.exists():
                    shutil.rmtree(target)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(scenario), str(target))
    logs = shard_dir / "logs"
    if logs.is_dir():
        target = out_dir / "logs" / logs_as
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(logs), str(target))


def copy_evidence(run_dir: Path, out_dir: Path, document: dict, *, logs_as: str) -> None:
    """The evidence files a document lists, copied from its run folder into ``out_dir`` (for merging runs
    that stay where they are)."""
    for s in document["scenarios"]:
        for rel in s.get("evidence", []):
            source, target = run_dir / rel, out_dir / rel
            if source.is_file() and source.resolve() != target.resolve():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    logs = run_dir / "logs"
    if logs.is_dir() and logs.resolve() != (out_dir / "logs").resolve():
        shutil.copytree(logs, out_dir / "logs" / logs_as, dirs_exist_ok=True)
