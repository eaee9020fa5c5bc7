"""`mcsec judge`: judge every message of captured SIP-1 / SIP-2 traffic with an event's key material.

    mcsec judge CAPTURE... --keys KEYS.toml [--sip-ports SIP1PORTS:SIP2PORTS] [--sensitive VALUE]...
                [--out DIR]

CAPTURE is a pcap file whose messages are told apart by port, or SIP-1=FILE / SIP-2=FILE for a file that
holds one reference point. Exit status as `mcsec run`: 0 every judgement passes, 1 one fails, 2 usage
error (bad KEYS.toml, unreadable capture), 3 the worst is inconclusive (docs/judge.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcsec.reports.results import EXIT_USAGE

DEFAULT_OUT = Path("reports") / "out" / "judge"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("judge", help="judge captured SIP-1/SIP-2 traffic offline with the event's keys",
                       description="Apply the wire verdicts of a run to every message of captured traffic: no "
                                   "MCPTT ID or group ID readable in any encoding, every body S/MIME protected "
                                   "under a known Key ID and opening with its key, every I_MESSAGE well formed, "
                                   "signed by the identity it claims and decrypting with the key material. "
                                   "Writes results.json, junit.xml, cucumber.json and compliance.html. Exit "
                                   "status: 0 all pass, 1 a judgement fails, 2 usage error, 3 the worst is "
                                   "inconclusive (docs/judge.md).")
    p.add_argument("captures", nargs="+", metavar="CAPTURE",
                   help="pcap file (SIP-1 and SIP-2 told apart by --sip-ports), or SIP-1=FILE / SIP-2=FILE")
    p.add_argument("--keys", type=Path, required=True, metavar="KEYS.toml",
                   help="key logs or key lines, KMS certificates, key sets and sensitive values (docs/judge.md)")
    p.add_argument("--sip-ports", metavar="SIP1PORTS:SIP2PORTS",
                   help="ports of SIP-1 and of SIP-2, comma-separated on each side (e.g. 5060,5062:5070): a "
                        "message to or from one of them is on that reference point (default: [sip] of KEYS.toml)")
    p.add_argument("--sensitive", action="append", default=[], metavar="VALUE",
                   help="a value that must not be readable on the wire, besides those of KEYS.toml (repeatable)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"output folder (default: {DEFAULT_OUT}, under the current folder)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from mcsec import judge, judge_keys  # imported late: --help needs neither

    try:
        captures = [judge.CaptureSpec.parse(c) for c in args.captures]
        ports = judge.parse_ports(args.sip_ports) if args.sip_ports else None
        keys = judge_keys.load(args.keys)
        if any(not v.strip() for v in args.sensitive):
            raise judge.JudgeUsageError("--sensitive: an empty value cannot be searched for")
        document, status = judge.judge(captures, keys, args.out.resolve(), extra_sensitive=args.sensitive,
                                       sip_ports=ports, progress=sys.stdout)
    except (judge.JudgeUsageError, judge_keys.KeysError) as exc:
        print(f"mcsec judge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    counts = document["summary"]
    summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    info = document["suite"]["judge"]
    print(f"mcsec judge: {info['messages']} messages, {summary or 'no judgement'}; "
          f"{info['not_on_sip1_or_sip2']} not on SIP-1 or SIP-2; reports in {args.out.resolve()}")
    for error in document["suite"]["errors"]:
        print(f"mcsec judge: {error}", file=sys.stderr)
    return status
