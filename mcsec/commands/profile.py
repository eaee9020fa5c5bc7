"""`mcsec profile check PROFILE.toml`: validate a SUT profile and say what a run with it would do.

Nothing is contacted: the check reads the file (and the CA certificate it names) only. On a bad
profile it prints the ProfileError, which names the key and what was expected, and exits 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcsec.fixtures.profile import LAB_ROLES, Profile, ProfileError, load
from mcsec.reports.results import EXIT_OK, EXIT_USAGE

ROLE_NAMES = {"idm": "IdM", "kms": "KMS", "server": "MCPTT server", "core": "SIP core", "client": "MCPTT client"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profile", help="work with SUT profiles (check one before a run)")
    actions = p.add_subparsers(dest="profile_command", metavar="ACTION")
    actions.required = True
    check = actions.add_parser(
        "check", help="validate a profile and print what `mcsec run --sut` would do with it",
        description="Load and validate a SUT profile the way `mcsec run --sut` does, then print which roles "
                    "are under test and where, which roles the lab starts, the clauses claimed, timers and "
                    "transport. Nothing is contacted. Exit status: 0 valid, 2 the profile is unusable "
                    "(the message names the key).")
    check.add_argument("profile", type=Path, nargs="?", metavar="PROFILE.toml",
                       help="the profile to check (default: the built-in reference profile)")
    check.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    try:
        profile = load(args.profile)
    except ProfileError as exc:
        print(f"mcsec profile check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(describe(profile)))
    return EXIT_OK


def describe(p: Profile) -> list[str]:
    """The readable plan of a run with this profile."""
    lines = [f"profile {'built-in reference' if p.builtin else p.path}: valid", f"implementation under test: {p.name} {p.iut.version}", ""]
    lines += _roles(p)
    lines += ["", "claims (ICS):",
              f"  clauses              {', '.join(p.ics.clauses) or 'none'}"
              f"{_unclaimed(p.ics.clauses)}",
              f"  protection_required  {str(p.ics.protection_required).lower()}",
              f"  idm_test_control     {str(p.ics.idm_test_control).lower()}"
              + ("" if p.ics.idm_test_control else " (scenarios needing deliberately bad tokens: not_applicable)"),
              f"  kms_test_control     {str(p.ics.kms_test_control).lower()}"
              + ("" if p.ics.kms_test_control else " (scenarios needing defective key material: not_applicable)"),
              f"  kms_key_ids_unpredictable {str(p.ics.kms_key_ids_unpredictable).lower()}",
              f"  several_kms          {str(p.ics.several_kms).lower()}"
              + ("" if p.ics.several_kms else " (the scenario with one Key ID issued by two KMSes: not_applicable)"),
              "", "settings (IXIT):",
              f"  sip_transport        {p.ixit.sip_transport} (between clients, SIP core and MCPTT server)",
              f"  timers               http_timeout_s {p.ixit.timers.http_timeout_s:g}, "
              f"sip_timeout_s {p.ixit.timers.sip_timeout_s:g}, clock_skew_s {p.ixit.timers.clock_skew_s:g}",
              f"  kms_uri              {p.ixit.kms_uri}",
              f"  kms_scope            {p.ixit.kms_scope}",
              f"  user_id_format       {p.ixit.user_id_format}",
              f"  token_leeway_s       {p.ixit.token_leeway_s}",
              f"  access_token_lifetime_s {p.ixit.access_token_lifetime_s}, cek_lifetime_s {p.ixit.cek_lifetime_s}",
              f"  oauth_client         {p.ixit.oauth_client_id} (redirect {p.ixit.oauth_redirect_uri})"]
    lines += [f"  user                 {u.username}: {u.mcptt_id}, {u.impu}"
              + (f" (home KMS {u.kms_uri})" if u.kms_uri else "") for u in p.ixit.users]
    lines += [f"  server principal     {s.client_id}: {s.uri}" for s in p.ixit.servers]
    lines += ["", "lab:", f"  sip_core             {p.lab.sip_core}", f"  topology             {_topology(p.lab.topology)}"]
    if p.lab.faults:
        lines.append(f"  faults               {', '.join(p.lab.faults)} (reference implementation only)")
    return lines


def _topology(topology: str) -> str:
    if topology == "netns":
        return ("netns: client, SIP core and MCPTT server in the ue / core / as network namespaces the run "
                "creates, SIP-1 and SIP-2 captured by interface (needs root)")
    return "loopback: SIP-1 and SIP-2 told apart by port on the host's loopback"


def _roles(p: Profile) -> list[str]:
    if p.builtin:
        return ["roles: the bundled reference implementation plays every role; the lab starts "
                + ", ".join(LAB_ROLES)]
    under_test = [r for r in LAB_ROLES if r in p.iut.roles]
    outside = [r for r in LAB_ROLES if r not in p.iut.roles and p.external(r) is not None]
    started = [r for r in LAB_ROLES if p.external(r) is None]
    lines = ["roles under test (the lab does not start them; the suite reaches them at):"]
    lines += [f"  {ROLE_NAMES[r]:<13} {_where(p, r)}" for r in under_test] or ["  none"]
    if outside:
        lines.append("peers already running outside the lab (e.g. `mcsec serve`), not under test:")
        lines += [f"  {ROLE_NAMES[r]:<13} {_where(p, r)}" for r in outside]
    lines.append("roles the lab starts from the reference implementation:")
    lines += [f"  {ROLE_NAMES[r]:<13} {_lab_where(p, r)}" for r in started] or ["  none"]
    if p.ixit.endpoints.ca_cert is not None:
        lines.append(f"trusted CA for the endpoints above: {p.ixit.endpoints.ca_cert}")
    return lines


def _where(p: Profile, role: str) -> str:
    e = p.ixit.endpoints
    if role == "idm":
        return e.idm_url
    if role == "kms":
        return e.kms_url
    if role == "server":
        return f"SIP {e.server_sip} ({p.ixit.sip_transport})"
    if role == "core":
        return f"SIP-1 {e.core_sip1}, SIP-2 {e.core_sip2} ({p.ixit.sip_transport})"
    testers = ", ".join(f"{u}: {url}" for u, url in e.upper_testers.items())
    sip = ", ".join(f"{u}: {a}" for u, a in e.client_sip.items())
    return f"upper testers {testers}" + (f"; SIP {sip}" if sip else "")


def _lab_where(p: Profile, role: str) -> str:
    if role == "server":
        return f"SIP on {_port(p.lab.ports.server_sip)}"
    if role == "core":
        kind = "Kamailio (a lab component, not under test)" if p.lab.sip_core == "kamailio" else "reference core"
        return f"{kind}: SIP-1 on {_port(p.lab.ports.core_sip1)}, SIP-2 on {_port(p.lab.ports.core_sip2)}"
    if role == "client":
        return f"one per user ({', '.join(u.username for u in p.ixit.users)}), driven through the upper tester"
    return "HTTPS on a free loopback port, certificate from the lab's test CA"


def _port(port: int) -> str:
    return f"127.0.0.1:{port} (fixed by [lab.ports])" if port else "a free loopback port"


def _unclaimed(clauses: tuple[str, ...]) -> str:
    missing = [c for c in ("7.13", "7.14") if c not in clauses]
    return f" (scenarios of {', '.join(missing)}: not_applicable)" if missing else ""
