"""`mcsec soak`: protected MESSAGEs driven by SIPp through the SIP core to the MCPTT server, at a rate,
for a time; or (`--find-knee`) the highest rate at which nothing is lost. docs/soak.md."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from mcsec.fixtures.lab import OutsidePeerUnavailable, RoleStartError
from mcsec.fixtures.profile import ProfileError, load
from mcsec.fixtures.soak import knee, sipp as sipp_tool
from mcsec.fixtures.soak.plan import LoadPlan, SipTimers, SoakUsageError
from mcsec.fixtures.soak.session import SoakSession, SoakSetupError, find_knee, soak
from mcsec.reports.soak import render_summary

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BROKEN = 0, 1, 2, 3
DEFAULT_OUT = Path("reports") / "out" / "soak"
REPORT = "soak.json"
SUMMARY = "summary.txt"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "soak", help="drive protected MESSAGEs with SIPp through the SIP core to the MCPTT server (load, knee)",
        description="Seal one protected mcptt-info body per MESSAGE under a CEK from the KMS, and have SIPp send "
                    "them through the SIP core to the MCPTT server (the reference one, or the one under test of "
                    "--sut) at --rate for --duration, bounded by --max-transactions. Writes soak.json and "
                    "summary.txt to --out. With --find-knee, steps the rate up until transactions are lost or "
                    "the p99 latency exceeds --max-p99-ms, and reports the highest rate that passed. Exit status: "
                    "0 nothing lost and every answer 200 (with --find-knee: a rate passed), 1 otherwise, 2 usage "
                    "error (SIPp missing included), 3 the run could not be made (a role, the IdM, the KMS, the "
                    "SIP core or SIPp failed).")
    p.add_argument("--sut", type=Path, metavar="PROFILE.toml", help="profile (default: the built-in reference)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"output folder (default: {DEFAULT_OUT}, under the current folder)")
    p.add_argument("--rate", type=float, default=10.0, metavar="PER_S",
                   help="MESSAGEs per second (default 10; --find-knee sets each step's own)")
    p.add_argument("--duration", type=float, default=60.0, metavar="SECONDS", help="how long to send (default 60)")
    p.add_argument("--max-transactions", type=int, metavar="N",
                   help="send at most N MESSAGEs (default: rate x duration)")
    p.add_argument("--t1-ms", type=int, default=500, metavar="MS",
                   help="T1 of the sending side (default 500); a transaction is lost without a final answer "
                        "within Timer F = 64 x T1")
    p.add_argument("--t2-ms", type=int, default=4000, metavar="MS", help="T2 of the sending side (default 4000)")
    p.add_argument("--user", metavar="USERNAME", help="the profile user who sends (default: the first)")
    p.add_argument("--sipp", metavar="PATH", help="the SIPp binary (default: sipp on PATH)")
    p.add_argument("--sip-core", choices=("reference", "kamailio"), help="the SIP core the lab runs (default: profile)")
    p.add_argument("--server-pid", type=int, metavar="PID",
                   help="sample this process's memory as the server's (an MCPTT server under test on this machine)")
    p.add_argument("--rss-interval", type=float, default=1.0, metavar="SECONDS",
                   help="server memory sampling interval (default 1)")
    p.add_argument("--rss-warmup", type=float, metavar="SECONDS",
                   help="memory growth is measured from this long after the load starts (default: 20 %% of it)")
    p.add_argument("--workers", type=int, metavar="N", help="processes sealing bodies before a step (default: CPUs)")
    p.add_argument("--keep-traces", action="store_true",
                   help="copy the lab's SIP traces (every message, byte for byte) into DIR/traces")
    k = p.add_argument_group("knee search (--find-knee)")
    k.add_argument("--find-knee", action="store_true", help="search the highest rate that passes instead of one soak")
    k.add_argument("--start-rate", type=float, default=10.0, metavar="PER_S", help="first step's rate (default 10)")
    k.add_argument("--factor", type=float, default=1.5, help="rate multiplier between climbing steps (default 1.5)")
    k.add_argument("--max-rate", type=float, default=2000.0, metavar="PER_S", help="highest rate tried (default 2000)")
    k.add_argument("--max-steps", type=int, default=10, metavar="N", help="at most N steps (default 10)")
    k.add_argument("--step-duration", type=float, default=20.0, metavar="SECONDS", help="each step's sending time (default 20)")
    k.add_argument("--precision", type=float, default=0.05,
                   help="stop when passing and failing rates are this close, relative (default 0.05)")
    k.add_argument("--max-p99-ms", type=float, metavar="MS",
                   help="a step whose p99 latency exceeds this fails (default: T1, when retransmissions start)")
    k.add_argument("--settle", type=float, default=5.0, metavar="SECONDS", help="pause between steps (default 5)")
    k.add_argument("--time-budget", type=float, default=1800.0, metavar="SECONDS",
                   help="no step starts that could end after this (default 1800)")
    p.set_defaults(func=main)


def _err(message: str) -> None:
    print(f"mcsec soak: {message}", file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    try:
        sipp = sipp_tool.Sipp.find(args.sipp)
        timers = SipTimers(args.t1_ms, args.t2_ms)
        plan = search = None
        if args.find_knee:
            search = knee.KneeSearch(args.start_rate, args.factor, args.max_rate, args.max_steps, args.precision)
            LoadPlan(args.start_rate, args.step_duration, timers=timers)   # the step settings are usable
            LoadPlan(args.max_rate, args.step_duration, timers=timers)
        else:
            plan = LoadPlan(args.rate, args.duration, args.max_transactions, timers)
        if args.rss_interval <= 0:
            raise SoakUsageError(f"--rss-interval: expected a positive number of seconds, got {args.rss_interval}")
        if args.rss_warmup is not None and args.rss_warmup < 0:
            raise SoakUsageError(f"--rss-warmup: expected 0 or more seconds, got {args.rss_warmup}")
        if args.workers is not None and args.workers < 1:
            raise SoakUsageError(f"--workers: expected at least 1, got {args.workers}")
        if args.server_pid is not None and not Path(f"/proc/{args.server_pid}/status").exists():
            raise SoakUsageError(f"--server-pid: no process {args.server_pid} on this machine")
        profile = load(args.sut, sip_core=args.sip_core)
        if args.user is not None:
            profile.ixit.user(args.user)
    except (SoakUsageError, ProfileError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name in (REPORT, SUMMARY):
        (out / name).unlink(missing_ok=True)
    try:
        with SoakSession(profile, out, sipp=sipp, user=args.user, server_pid=args.server_pid,
                         workers=args.workers, keep_traces=args.keep_traces) as session:
            if search is not None:
                report = find_knee(session, search, step_duration_s=args.step_duration, timers=timers,
                                   max_p99_ms=args.max_p99_ms if args.max_p99_ms is not None else float(timers.t1_ms),
                                   settle_s=args.settle, time_budget_s=args.time_budget)
            else:
                assert plan is not None
                report = soak(session, plan, rss_interval_s=args.rss_interval, warmup_s=args.rss_warmup)
    except SoakUsageError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except (SoakSetupError, RoleStartError, OutsidePeerUnavailable, ProfileError, OSError) as exc:
        _err(f"the run could not be made: {exc}")
        return EXIT_BROKEN
    (out / REPORT).write_text(json.dumps(report, indent=1) + "\n")
    summary = render_summary(report)
    (out / SUMMARY).write_text(summary)
    sys.stdout.write(summary)
    print(f"report: {os.path.join(str(out), REPORT)}", file=sys.stderr)
    return EXIT_OK if report["verdict"]["passed"] else EXIT_FAILED
