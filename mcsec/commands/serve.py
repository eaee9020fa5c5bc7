"""`mcsec serve`: run reference roles as peers for an implementation under test.

Prints one JSON line with every endpoint, identity and credential a vendor's
product needs (including the IdM's JWKS and the test CA certificate to
trust), then the same in readable form, and serves until Ctrl-C or SIGTERM.
The credentials are test credentials made for this run; printing them is the
point of the command.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from mcsec.fixtures.profile import LAB_ROLES, ROLES, ProfileError, load, parse_switch
from mcsec.fixtures.served_profile import SERVED_FOR
from mcsec.reports.results import EXIT_USAGE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run reference roles as peers for an implementation under test")
    p.add_argument("--roles", default=None,
                   help=f"comma-separated roles to run (available: {', '.join(LAB_ROLES)}; default: all, or those "
                        "--iut names; a role brings the roles it needs unless the profile places them outside)")
    p.add_argument("--sut", type=Path, metavar="PROFILE.toml", help="profile for identities (default: reference)")
    p.add_argument("--run-dir", type=Path, metavar="DIR",
                   help="where role logs, configurations and the test CA go (default: a fresh temporary folder)")
    p.add_argument("--iut", choices=ROLES, metavar="ROLE",
                   help="serve ROLE as the implementation under test (with --profile-out); without --roles, "
                        "serve it and the peers it is configured with: "
                        + "; ".join(f"{r}: {','.join(v)}" for r, v in SERVED_FOR.items()))
    p.add_argument("--profile-out", type=Path, metavar="FILE",
                   help="write a complete SUT profile (owner-only) declaring the --iut role under test and the "
                        "other served roles its peers, with the CA beside it as FILE's stem + '-ca.pem'; "
                        "`mcsec run --sut FILE` then runs the rest")
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="serve the reference roles with this named fault (repeatable; `mcsec faults` lists them)")
    p.add_argument("--ics", action="append", default=[], metavar="ITEM=true|false",
                   help="serve the reference roles on this side of a yes/no ICS item (as `mcsec run --ics`); "
                        "the written profile claims it")
    p.add_argument("--iut-pythonpath", type=Path, metavar="DIR",
                   help="put DIR first on the PYTHONPATH of the --iut role's processes only, not its peers' "
                        "(`mcsec mutate` serves a role from a package tree with one file mutated this way)")
    p.set_defaults(func=main)


def describe(lab) -> dict:
    from mcsec.impl import httpclient

    e = lab.endpoints
    p = lab.profile
    jwks = json.loads(httpclient.request("GET", e.jwks_uri, context=lab.ssl_context).body)
    roles: dict[str, dict] = {"idm": {"url": e.idm_url, "issuer": e.idm_issuer, "jwks_uri": e.jwks_uri,
                                      "discovery": e.idm_url + "/.well-known/openid-configuration",
                                      "jwks": jwks}}
    if e.idm_test_control_secret is not None and "idm" in lab.roles:
        roles["idm"]["test_control_secret"] = e.idm_test_control_secret
    if "kms" in lab.roles:
        roles["kms"] = {"url": e.kms_url, "kms_uri": p.ixit.kms_uri}
        if p.ics.kms_test_control and e.kms_test_control_secret is not None:
            roles["kms"]["test_control_secret"] = e.kms_test_control_secret
    if e.server is not None and "server" in lab.roles:
        roles["server"] = {"sip": f"{e.server.host}:{e.server.port}", "uri": p.ixit.servers[0].uri,
                           "transports": ["udp", "tcp"],
                           # RFC 3325: the one SIP core address its P-Asserted-Identity is trusted from
                           "trusted_core_sip2": [str(peer) for peer in lab.configs["server"].trusted_peers]}
    if e.core_sip1 is not None and "core" in lab.roles:
        roles["core"] = {"sip1": f"{e.core_sip1.host}:{e.core_sip1.port}",
                         "sip2": f"{e.core_sip2.host}:{e.core_sip2.port}",
                         "domain": p.ixit.users[0].impu.split("@", 1)[1], "transports": ["udp", "tcp"]}
    if e.upper_testers:
        roles["client"] = {"upper_testers": dict(e.upper_testers),
                           "sip": {u: f"{a.host}:{a.port}" for u, a in e.clients.items()},
                           "api": "docs/upper-tester.md (version 1)"}
    return {
        "ready": True,
        "roles": roles,
        "ca_cert_path": str(e.ca_path),
        "ca_cert_pem": e.ca_path.read_text(),
        "oauth_client": {"client_id": p.ixit.oauth_client_id, "redirect_uri": p.ixit.oauth_redirect_uri},
        "kms_scope": p.ixit.kms_scope,
        "users": [{"username": u.username, "password": u.password, "mcptt_id": u.mcptt_id, "impu": u.impu,
                   "sip_password": u.sip_password} for u in p.ixit.users],
        "servers": [{"client_id": s.client_id, "client_secret": s.client_secret, "uri": s.uri} for s in p.ixit.servers],
        "run_dir": str(lab.run_dir),
    }


def _readable(info: dict) -> str:
    lines = ["", "MCSec reference roles are serving:"]
    for name, role in info["roles"].items():
        where = role.get("url") or role.get("sip") or (f"SIP-1 {role['sip1']}, SIP-2 {role['sip2']}"
                                                      if "sip1" in role else "")
        if name == "client":
            where = ", ".join(f"{u}: {url}" for u, url in role["upper_testers"].items()) + " (upper testers)"
        if name == "server":
            where += (f" (trusts P-Asserted-Identity only from the SIP core at "
                      f"{', '.join(role['trusted_core_sip2'])}: UDP and TCP from that port)")
        lines.append(f"  {name:<6} {where}")
    idm = info["roles"]["idm"]
    lines += [f"  IdM issuer     {idm['issuer']}", f"  IdM discovery  {idm['discovery']}",
              f"  IdM JWKS       {idm['jwks_uri']}"]
    if "test_control_secret" in idm:
        lines.append(f"  IdM test control secret  {idm['test_control_secret']}  (Authorization: Bearer, "
                     f"POST /test/tokens)")
    kms = info["roles"].get("kms", {})
    if "test_control_secret" in kms:
        lines.append(f"  KMS test control secret  {kms['test_control_secret']}  (Authorization: Bearer, "
                     f"POST /test/keyprov-defects)")
    lines += [f"  trust this CA  {info['ca_cert_path']}",
              f"  KMS scope      {info['kms_scope']}",
              f"  OAuth client   {info['oauth_client']['client_id']} (redirect {info['oauth_client']['redirect_uri']})"]
    for u in info["users"]:
        lines.append(f"  user           {u['username']} / {u['password']}  ({u['mcptt_id']}, {u['impu']}, "
                     f"SIP password {u['sip_password']})")
    for s in info["servers"]:
        lines.append(f"  server         {s['client_id']} / {s['client_secret']}  ({s['uri']})")
    lines.append(f"  logs           {info['run_dir']} (removed on stop unless --run-dir was given)")
    if "profile" in info:
        lines.append(f"  SUT profile    {info['profile']}  (mcsec run --sut {info['profile']})")
    lines.append("Stop with Ctrl-C or SIGTERM.")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from mcsec.fixtures import served_profile   # imported late: the roles are not needed for --help
    from mcsec.fixtures.lab import Lab, RoleStartError

    if args.profile_out is not None and args.iut is None:
        print("mcsec serve: --profile-out needs --iut ROLE (the role the profile declares under test)", file=sys.stderr)
        return EXIT_USAGE
    if args.iut_pythonpath is not None and (args.iut is None or not args.iut_pythonpath.is_dir()):
        print("mcsec serve: --iut-pythonpath needs --iut ROLE and an existing folder", file=sys.stderr)
        return EXIT_USAGE
    if args.roles is not None:
        roles = tuple(r.strip() for r in args.roles.split(",") if r.strip())
    else:
        roles = SERVED_FOR[args.iut] if args.iut else LAB_ROLES
    if args.iut is not None and args.iut not in roles:
        print(f"mcsec serve: --iut {args.iut}: not among the served --roles {','.join(roles)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        overrides = dict(parse_switch(text) for text in args.ics)
        profile = load(args.sut, extra_faults=args.fault, ics_overrides=overrides)
        if profile.lab.topology == "netns":
            raise ProfileError("lab.topology: \"netns\" keeps the SIP roles in namespaces only the run that made "
                               "them reaches; `mcsec serve` serves its roles on loopback (set topology = \"loopback\")")
        lab_ports: dict[str, int] = {}
        if args.iut is not None:
            profile, lab_ports = served_profile.prepare(profile, args.iut)
        pythonpath = {args.iut: str(args.iut_pythonpath.resolve())} if args.iut_pythonpath is not None else None
        lab = Lab(profile, args.run_dir or None, roles=roles, role_pythonpath=pythonpath)
    except ProfileError as exc:
        print(f"mcsec serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with lab:
            info = describe(lab)
            if args.profile_out is not None:
                from mcsec import __version__
                try:
                    written = served_profile.write(args.profile_out, profile, lab, args.iut, version=__version__,
                                                   lab_ports=served_profile.lab_ports_after_start(args.iut, lab,
                                                                                                  lab_ports))
                except OSError as exc:
                    print(f"mcsec serve: --profile-out {args.profile_out}: cannot write: {exc.strerror or exc}",
                          file=sys.stderr)
                    return EXIT_USAGE
                info["profile"] = str(written)
            print(json.dumps(info), flush=True)
            print(_readable(info), file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                dead = lab.dead_roles()
                if dead:
                    print(f"mcsec serve: role(s) stopped unexpectedly: {', '.join(dead)}; "
                          f"see {lab.run_dir}", file=sys.stderr)
                    return 3
    except (RoleStartError, ProfileError) as exc:
        print(f"mcsec serve: {exc}", file=sys.stderr)
        return 3
    print("mcsec serve: stopped", file=sys.stderr)
    return 0
