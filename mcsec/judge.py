"""`mcsec judge`: the wire verdicts of a run, applied offline to every message of captured traffic.

Captures are read (classic pcap, Ethernet), SIP messages reassembled (mcsec.fixtures.wire.capture), each
placed on SIP-1 or SIP-2 (by the file it came from, or by port), judged with the key material of KEYS.toml
(mcsec.fixtures.oracles.offline), and written as a run writes its results: results.json, junit.xml,
cucumber.json, compliance.html and manifest.json.

How a judgement becomes a scenario of results.json (docs/judge.md):

* the messages of all captures, in time order, are numbered from 1;
* message n gives the scenario ``JUDGE-n`` (its confidentiality: nothing readable, body protected and
  opening), citing R713-CONF-SIP1/SIP2 and R713-CONF-CORE, or the R714 ones, by the clause of the key its
  body names (a CEK 7.13, a CSK 7.14), else of its dialog's protected bodies, else of KEYS.toml's clauses;
* an I_MESSAGE in message n gives two more: ``JUDGE-n-INT`` (signed by the identity it claims,
  R714-CEK-INT) and ``JUDGE-n-CONF`` (carries a CSK to the responder that decrypts, R714-CEK-CONF);
* the feature is ``judge/SIP-1``, ``judge/SIP-2`` or ``judge/I_MESSAGE``; each check is a step.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mcsec.catalogue import load_catalogue
from mcsec.fixtures import verdicts
from mcsec.fixtures.oracles.offline import CONFIDENTIALITY, SIGNATURE, Judgement, judge_messages
from mcsec.fixtures.wire.capture import WireMessage, dedupe, reassemble
from mcsec.fixtures.wire.exposure import SensitiveValue
from mcsec.fixtures.wire.frames import PcapError, read_frames
from mcsec.fixtures.wire.points import POINTS, SIP1, SIP2
from mcsec.judge_keys import JudgeKeys
from mcsec.reports import manifest, outputs, results
from mcsec.reports.evidence import folder_name
from mcsec.reports.results import ScenarioResult, StepResult

STEP_STATUS = {verdicts.PASS: "passed", verdicts.FAIL: "failed", verdicts.INCONCLUSIVE: "failed",
               verdicts.NOT_APPLICABLE: "skipped"}
SUFFIX = {CONFIDENTIALITY: "", SIGNATURE: "-INT"}
I_MESSAGE_FEATURE = "judge/I_MESSAGE"


class JudgeUsageError(ValueError):
    """Bad captures or options; the message names the argument."""


@dataclass(frozen=True)
class CaptureSpec:
    path: Path
    point: str | None = None      # SIP-1 or SIP-2 for the whole file; None: told apart by port

    @classmethod
    def parse(cls, text: str) -> CaptureSpec:
        """``FILE``, ``SIP-1=FILE`` or ``SIP-2=FILE``."""
        head, sep, tail = text.partition("=")
        if sep and head.upper() in POINTS:
            if not tail:
                raise JudgeUsageError(f"{text}: no file after {head}=")
            return cls(Path(tail), head.upper())
        return cls(Path(text))

    def describe(self) -> dict:
        return {"path": str(self.path), "point": self.point or "by port"}


def parse_ports(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``SIP1PORTS:SIP2PORTS``, each a comma-separated list (``5060,5062:5070``)."""
    first, sep, second = text.partition(":")
    if not sep:
        raise JudgeUsageError(f"--sip-ports {text}: expected SIP1PORTS:SIP2PORTS, e.g. 5060:5070")

    def ports(part: str) -> tuple[int, ...]:
        out = []
        for item in filter(None, (p.strip() for p in part.split(","))):
            if not item.isdigit() or not 0 < int(item) < 65536:
                raise JudgeUsageError(f"--sip-ports {text}: {item!r} is not a port number")
            out.append(int(item))
        return tuple(out)
    sip1, sip2 = ports(first), ports(second)
    if not sip1 or not sip2:
        raise JudgeUsageError(f"--sip-ports {text}: each side needs at least one port")
    if set(sip1) & set(sip2):
        raise JudgeUsageError(f"--sip-ports {text}: port {min(set(sip1) & set(sip2))} is on both SIP-1 and SIP-2")
    return sip1, sip2


def _port(endpoint: str) -> int | None:
    try:
        return int(endpoint.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


def read_messages(captures: Sequence[CaptureSpec], sip1_ports: Sequence[int], sip2_ports: Sequence[int]
                  ) -> tuple[list[WireMessage], int]:
    """The SIP messages of the captures on SIP-1 or SIP-2, in time order, and how many were on neither."""
    if any(c.point is None for c in captures) and not (sip1_ports and sip2_ports):
        raise JudgeUsageError("SIP-1 and SIP-2 cannot be told apart: give --sip-ports SIP1PORTS:SIP2PORTS "
                              "(or [sip] in KEYS.toml), or each capture as SIP-1=FILE / SIP-2=FILE")
    messages: list[WireMessage] = []
    elsewhere = 0
    for spec in captures:
        try:
            frames = read_frames(spec.path)
        except PcapError as exc:
            raise JudgeUsageError(str(exc)) from None
        except OSError as exc:
            raise JudgeUsageError(f"{spec.path}: cannot read: {exc.strerror or exc}") from None
        for m in reassemble(dedupe(frames), spec.point):
            if spec.point is None:
                ports = {_port(m.src), _port(m.dst)}
                m.point = SIP1 if ports & set(sip1_ports) else SIP2 if ports & set(sip2_ports) else None
            if m.point is None:
                elsewhere += 1
            else:
                messages.append(m)
    return sorted(messages, key=lambda m: m.time), elsewhere


def _scenario_id(n: int, j: Judgement) -> str:
    return f"JUDGE-{n}{SUFFIX.get(j.aspect, '-CONF')}"


def _name(n: int, j: Judgement) -> str:
    m = j.message
    where = f"{m.first_line} ({m.src} -> {m.dst}, {m.transport})"
    if j.aspect == CONFIDENTIALITY:
        return f"Message {n} on {m.point}: {where}"
    what = "signed by the identity it claims" if j.aspect == SIGNATURE else "carries a CSK to the responder"
    return f"The I_MESSAGE of message {n} on {m.point} {what}"


def _steps(n: int, j: Judgement) -> list[StepResult]:
    m = j.message
    steps = [StepResult("Given", f"message {n} crossed {m.point}: {m.first_line}", "passed")]
    for i, check in enumerate(j.checks):
        detail = f" ({check.detail})" if check.detail else ""
        steps.append(StepResult("Then" if i == 0 else "And", check.text + detail, STEP_STATUS[check.verdict]))
    return steps


def _evidence(out_dir: Path, scenario_id: str, m: WireMessage) -> list[str]:
    """The message as it crossed, for a judgement that did not pass: one line that places it, then its
    bytes (what `mcsec smime open` and `mcsec mikey inspect` take apart)."""
    folder = out_dir / "evidence" / folder_name(scenario_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "message.sip"
    path.write_bytes(m.raw)
    (folder / "message.txt").write_text(m.describe() + "\n", encoding="utf-8")
    return [p.relative_to(out_dir).as_posix() for p in (path, folder / "message.txt")]


def judge(captures: Sequence[CaptureSpec], keys: JudgeKeys, out_dir: Path, *,
          extra_sensitive: Sequence[str] = (), sip_ports: tuple[tuple[int, ...], tuple[int, ...]] | None = None,
          progress: TextIO | None = None) -> tuple[dict, int]:
    """Judge the captures; write the reports into ``out_dir``; the results document and the exit status."""
    started = _dt.datetime.now(_dt.timezone.utc)
    sip1, sip2 = sip_ports or (keys.sip1_ports, keys.sip2_ports)
    messages, elsewhere = read_messages(captures, sip1, sip2)
    values = [*keys.sensitive, *(SensitiveValue(v, label="sensitive value") for v in extra_sensitive)]
    if not values:
        raise JudgeUsageError("no sensitive value to look for: list them in [sensitive] of KEYS.toml or give "
                              "--sensitive VALUE")
    out_dir.mkdir(parents=True, exist_ok=True)
    judged = judge_messages(messages, values, keys.material, clauses=keys.clauses,
                            clear_types=keys.clear_body_types)
    scenarios: list[ScenarioResult] = []
    total = sum(len(js) for js in judged)
    for n, judgements in enumerate(judged, 1):
        for j in judgements:
            sid = _scenario_id(n, j)
            feature = f"judge/{j.message.point}" if j.aspect == CONFIDENTIALITY else I_MESSAGE_FEATURE
            verdict = j.verdict if j.verdict != verdicts.NOT_APPLICABLE else verdicts.PASS
            result = ScenarioResult(sid, _name(n, j), feature, list(j.requirements), verdict, j.reason, 0.0,
                                    steps=_steps(n, j))
            if verdict != verdicts.PASS:
                result.evidence = _evidence(out_dir, sid, j.message)
            scenarios.append(result)
            if progress is not None:
                width = len(str(total))
                print(f"[{len(scenarios):>{width}}/{total}] {verdict.upper():<14} {sid} {result.name[:160]}",
                      file=progress)
                if verdict != verdicts.PASS and j.reason:
                    print(f"{'':>{2 * width + 3}} {j.reason[:300]}", file=progress)
    errors = [] if messages else [
        "the captures hold no SIP message on SIP-1 or SIP-2: nothing was judged"]
    finished = _dt.datetime.now(_dt.timezone.utc)
    sut = {"name": keys.name or "traffic captured at an event", "version": "",
           "profile": f"judged offline with {keys.path}", "iut_roles": [], "clauses": list(keys.clauses),
           "captures": [str(c.path) for c in captures]}
    document = results.build(catalogue=load_catalogue(), scenarios=scenarios, sut=sut, started=started,
                             finished=finished, suite_errors=errors)
    document["suite"]["judge"] = {
        "captures": [c.describe() for c in captures],
        "points": ({"SIP-1 ports": list(sip1), "SIP-2 ports": list(sip2)}
                   if any(c.point is None for c in captures) else "by capture file"),
        "messages": len(messages), "not_on_sip1_or_sip2": elsewhere,
        "key_material": keys.describe(),
    }
    results.write(document, out_dir / "results.json")
    outputs.write_reports(document, out_dir)
    manifest.write(out_dir)
    return document, results.document_exit_status(document)


__all__ = ["CaptureSpec", "JudgeUsageError", "judge", "parse_ports", "read_messages"]
