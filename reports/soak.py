"""The readable summary of a soak report (soak.json, docs/soak.md), fed only by the report itself."""
from __future__ import annotations


def _num(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def _latency(lat: dict) -> str:
    if not lat.get("count"):
        return "no 200 answers to time"
    return (f"p50 {_num(lat['p50'])} ms, p90 {_num(lat['p90'])} ms, p99 {_num(lat['p99'])} ms, "
            f"max {_num(lat['max'])} ms (over {lat['count']} answers 200)")


def _step_lines(step: dict, indent: str = "  ") -> list[str]:
    t = step["transactions"]
    others = ", ".join(f"{n} x {code}" for code, n in t["other_statuses"].items()) or "none"
    lines = [
        f"{indent}transactions  planned {t['planned']}, sent {t['sent']}, answered 200 {t['answered_200']}, "
        f"lost {t['lost']} (Timer F {t['lost_detail']['timer_f']}, not concluded {t['lost_detail']['not_concluded']})",
        f"{indent}other answers {others}",
        f"{indent}latency       {_latency(step['latency_ms'])}",
        f"{indent}rate          target {step['plan']['rate_per_s']:g}/s, achieved {_num(step['achieved_rate_per_s'])}/s, "
        f"retransmissions {t['retransmissions']}",
    ]
    offset = step.get("stamp_offset_ms") or {}
    if offset.get("count"):
        lines.append(f"{indent}stamp offset  SIPp sent each body {_num(offset['p50'])} ms after its stamped time "
                     f"(p50; min {_num(offset['min'])}, max {_num(offset['max'])} ms)")
    for problem in step.get("problems", []):
        lines.append(f"{indent}problem       {problem}")
    return lines


def _rss_lines(rss: dict) -> list[str]:
    if not rss.get("measured"):
        return [f"  server memory not measured: {rss.get('reason', '')}"]
    lines = [f"  server memory (VmRSS of pid {rss['pid']}, every {rss['interval_s']:g} s, {len(rss['samples'])} samples): "
             f"idle {_num(rss['idle_kib'], ' KiB')}, after {rss['warmup_s']:g} s warm-up {_num(rss['warm_kib'], ' KiB')}, "
             f"at the end {_num(rss['end_kib'], ' KiB')}, max {_num(rss['max_kib'], ' KiB')}",
             f"  growth after warm-up {_num(rss['growth_pct'], ' %', 2)} (from idle {_num(rss['growth_from_idle_pct'], ' %', 2)})"]
    if rss.get("note"):
        lines.append(f"  note: {rss['note']}")
    return lines


def _timeline(step: dict) -> list[str]:
    rows = step.get("timeline") or []
    if len(rows) < 3:
        return []
    out = ["  over time (by sending time):", "    from_s   sent    200  other   lost   p50_ms   p99_ms"]
    for r in rows:
        out.append(f"    {r['from_s']:>6} {r['sent']:>6} {r['answered_200']:>6} {r['other']:>6} {r['lost']:>6} "
                   f"{_num(r['p50_ms']):>8} {_num(r['p99_ms']):>8}")
    return out


def render_summary(report: dict) -> str:
    path = report["path"]
    machine = report["machine_at_start"]
    head = [
        f"mcsec soak ({report['mode']}) {report['started']} .. {report.get('finished', '')}",
        f"  SUT           {report['sut']['name']} {report['sut']['version']} (roles under test: "
        f"{', '.join(report['sut']['iut_roles']) or 'none, the reference implementation'})",
        f"  path          SIPp {path['sipp']['version']} -> SIP core {path['sip_core']['sip1']} "
        f"[{path['sip_core']['kind']}] -> MCPTT server {path['server']['sip']} [{path['server']['kind']}], "
        f"{path['server']['transport']} to the server",
        f"  sender        {path['sender']['impu']} from udp {path['sender']['udp']}; CEK {path['cek']['key_id']}; "
        f"sealing {path['seal_cost_ms']} ms per body",
        f"  machine       {machine['cpus']} CPUs, load average {machine['load_average']} at start, "
        f"{report.get('machine_at_end', {}).get('load_average')} at the end ({machine['note']})",
    ]
    lines = head + [""]
    if report["mode"] == "soak":
        step = report["step"]
        lines += [f"soak at {step['plan']['rate_per_s']:g}/s for {step['plan']['duration_s']:g} s "
                  f"(Timer F {step['plan']['timer_f_ms']} ms):"]
        lines += _step_lines(step) + _rss_lines(report["server_rss"]) + _timeline(step)
    else:
        k = report["knee"]
        s = report["search"]
        lines.append(f"knee search from {s['start_rate_per_s']:g}/s x {s['factor']:g}, {s['step_duration_s']:g} s per "
                     f"step, at most {s['max_steps']} steps; a step passes with nothing lost, every answer 200 and "
                     f"p99 <= {s['max_p99_ms']:g} ms")
        for step in report["steps"]:
            mark = "pass" if step["passed"] else "FAIL"
            t = step["transactions"]
            lines.append(f"  {step['plan']['rate_per_s']:>8g}/s {mark}  sent {t['sent']}, 200 {t['answered_200']}, "
                         f"lost {t['lost']}, other {sum(t['other_statuses'].values())}, "
                         f"p99 {_num(step['latency_ms']['p99'])} ms"
                         + (f"  ({'; '.join(step['failures'])})" if step["failures"] else ""))
        lines.append(f"  knee: {_num(k['rate_per_s'], '/s')} (lowest failing {_num(k['lowest_failing_rate_per_s'], '/s')}; "
                     f"stopped: {k['stopped_because']}); 80 % of the knee: {_num(k['soak_at_80_percent_per_s'], '/s')}")
    verdict = report["verdict"]
    lines += ["", "result: " + ("PASS" if verdict["passed"] else "FAIL: " + "; ".join(verdict["failures"]))]
    return "\n".join(lines) + "\n"
