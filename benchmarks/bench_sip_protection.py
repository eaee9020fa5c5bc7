"""Protected MESSAGE transactions against the same with protection off, in one run: rate and server CPU.

Starts a lab (reference IdM and KMS) and two reference MCPTT servers, one requiring protection and
one not, each behind its own reference SIP core; the sender registers at each core with digest
and sends MESSAGE transactions with an mcptt-info body through it (the core asserts the identity
and relays both ways). Protected: the sender seals each body under a CEK from the KMS, the server
opens it, checks the replay stamp, and answers with a sealed echo that the sender opens. Clear: the
same exchange with clear mcptt-info. The servers run as the lab runs them: SIP trace written, log
level INFO (`--quiet-server`: no trace, WARNING).

Each round measures protected then clear (interleaved, so drift hits both alike): the transaction
rate seen by the sender, and the CPU time (utime + stime from /proc/<pid>/stat) the MCPTT server
process spent per transaction. Prints the median of each over the rounds and the protected/clear
ratios. `--direct` skips the cores (the sender then plays the core and inserts P-Asserted-Identity).

    .venv/bin/python benchmarks/bench_sip_protection.py [--messages 300] [--rounds 5]
        [--transport udp|tcp] [--concurrency 8] [--direct] [--quiet-server]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mcsec.impl.smime as smime  # noqa: E402
from mcsec.fixtures.lab import Lab  # noqa: E402
from mcsec.fixtures.profile import load  # noqa: E402
from mcsec.fixtures.lab.roleprocess import RoleProcess  # noqa: E402
from mcsec.impl.idm.login import discover, login_with_pkce  # noqa: E402
from mcsec.impl.kms.cekclient import CekClient  # noqa: E402
from mcsec.impl.mcptt import McpttInfo, SealingKey, SipBinding, build_body, open_info, read_body, read_clear  # noqa: E402
from mcsec.impl.sip import make_request  # noqa: E402
from mcsec.impl.sip.aio import SipEndpoint  # noqa: E402
from mcsec.impl.sip.digest import Challenge, authorization  # noqa: E402

SERVER_URI = "sip:mcptt-as@example.org"


def server_config(lab: Lab, profile, *, protection_required: bool, trace: Path | None) -> dict:
    assert lab.endpoints is not None
    principal = profile.ixit.server("mcptt-as")
    logging = {"log_level": "WARNING"} if trace is None else {"log_level": "INFO", "trace_path": str(trace)}
    return {
        "host": "127.0.0.1", "port": 0, "uri": principal.uri,
        "idm": {"url": lab.endpoints.idm_url, "ca": str(lab.endpoints.ca_path)},
        "client_id": principal.client_id, "client_secret": principal.client_secret,
        "kms": {"url": lab.endpoints.kms_url, "kms_uri": profile.ixit.kms_uri, "ca": str(lab.endpoints.ca_path)},
        "users": [{"impu": u.impu, "mcptt_id": u.mcptt_id} for u in profile.ixit.users],
        "protection_required": protection_required,
        "replay": {"window_s": 60, "require_stamp": True},
        "timers_scale": 1.0, "faults": [], **logging,
    }


def core_config(server: RoleProcess, profile, transport: str, trace: Path) -> dict:
    sip = server.info["sip"]
    return {
        "host": "127.0.0.1", "sip1_port": 0, "sip2_port": 0, "domain": profile.ixit.users[0].impu.split("@", 1)[1],
        "as": {"host": sip["host"], "port": sip["port"], "transport": transport, "uri": SERVER_URI},
        "users": [{"impu": u.impu, "username": u.username, "password": u.sip_password} for u in profile.ixit.users],
        "trace_path": str(trace), "faults": [], "log_level": "WARNING",
    }


async def register(endpoint: SipEndpoint, destination, transport: str, user) -> None:
    """REGISTER at the SIP core with digest, so it relays this endpoint's requests."""
    domain = user.impu.split("@", 1)[1]
    host, port = endpoint.address(transport)
    answer = None
    for cseq in (1, 2):
        request = make_request("REGISTER", f"sip:{domain}", from_=f"<{user.impu}>", to=f"<{user.impu}>",
                               call_id=f"bench-{port}", cseq=cseq, contact=f"<sip:bench@{host}:{port}>",
                               headers=[("Expires", "600")])
        if answer is not None:
            challenge = Challenge.parse(answer.headers.get("WWW-Authenticate") or "")
            request.headers.add("Authorization", authorization(challenge, username=user.username,
                                                               password=user.sip_password, method="REGISTER",
                                                               uri=f"sip:{domain}"))
        answer = await endpoint.send_request(request, destination, transport=transport, timeout=10)
        if answer.status == 200:
            return
    raise RuntimeError(f"the SIP core answered REGISTER with {answer.status} {answer.reason}")


async def one(endpoint: SipEndpoint, destination, transport: str, impu: str, info: McpttInfo,
              key: SealingKey | None, guard: smime.ReplayGuard | None, via_core: bool) -> None:
    headers = [] if via_core else [("P-Asserted-Identity", f"<{impu}>")]
    request = make_request("MESSAGE", SERVER_URI, from_=f"<{impu}>", to=f"<{SERVER_URI}>", headers=headers)
    body = build_body(info, key=key, binding=SipBinding.of_request(request))
    assert body is not None
    body.apply(request)
    response = await endpoint.send_request(request, destination, transport=transport, timeout=10)
    if response.status != 200:
        raise RuntimeError(f"server answered {response.status} {response.reason}")
    part = read_body(response).info_part
    assert part is not None
    if key is None:
        read_clear(part)
    else:
        open_info(part, key_lookup=lambda _k: key.cek, guard=guard, binding=SipBinding.of_response(response))


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()  # after "pid (comm)": state is field 3
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # fields 14 utime, 15 stime


@dataclass(frozen=True)
class Round:
    rate: float  # transactions per second seen by the sender
    server_cpu: float  # server CPU seconds per transaction


async def measure(destination, transport: str, count: int, concurrency: int, user, info: McpttInfo,
                  key: SealingKey | None, via_core: bool, server_pid: int) -> Round:
    endpoint = await SipEndpoint.start()
    guard = smime.ReplayGuard() if key is not None else None
    try:
        if via_core:
            await register(endpoint, destination, transport, user)
        await one(endpoint, destination, transport, user.impu, info, key, guard, via_core)  # warm-up
        queue = iter(range(count))

        async def worker() -> None:
            for _ in queue:
                await one(endpoint, destination, transport, user.impu, info, key, guard, via_core)

        cpu_before = cpu_seconds(server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        return Round(count / elapsed, (cpu_seconds(server_pid) - cpu_before) / count)
    finally:
        await endpoint.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--direct", action="store_true", help="send to the servers without the SIP cores")
    parser.add_argument("--quiet-server", action="store_true",
                        help="run the MCPTT servers without SIP trace, at log level WARNING")
    args = parser.parse_args()
    profile = load()
    alice = profile.ixit.user("alice")
    info = McpttInfo(calling_user_id=alice.mcptt_id, called_party_id=profile.ixit.user("bob").mcptt_id,
                     request_uri=SERVER_URI)
    with tempfile.TemporaryDirectory(prefix="mcsec-bench-") as tmp, Lab(profile, Path(tmp) / "lab", roles=("idm", "kms")) as lab:
        assert lab.endpoints is not None
        discovery = discover(lab.endpoints.idm_url, lab.ssl_context)
        token = login_with_pkce(discovery, profile.ixit.oauth_client_id, profile.ixit.oauth_redirect_uri, alice.username,
                                alice.password, lab.ssl_context).access_token
        reply = CekClient(lab.endpoints.kms_url, profile.ixit.kms_uri, lab.ssl_context).issue(token, alice.mcptt_id,
                                                                                         SERVER_URI)
        assert reply.cek is not None
        key = SealingKey(reply.cek.key_id, reply.cek.key)
        servers, cores, targets = {}, {}, {}
        try:
            for name, required in (("protected", True), ("clear", False)):
                trace = None if args.quiet_server else Path(tmp) / name / "server-trace.jsonl"
                servers[name] = RoleProcess(f"server-{name}", "mcsec.impl.server",
                                            server_config(lab, profile, protection_required=required, trace=trace),
                                            Path(tmp) / name)
                servers[name].start()
                sip = servers[name].info["sip"]
                targets[name] = (sip["host"], sip["port"])
                if not args.direct:
                    cores[name] = RoleProcess(f"core-{name}", "mcsec.impl.core",
                                              core_config(servers[name], profile, args.transport,
                                                          Path(tmp) / name / "core-trace.jsonl"), Path(tmp) / name)
                    sip1 = cores[name].start()["sip1"]
                    targets[name] = (sip1["host"], sip1["port"])
            rounds: dict[str, list[Round]] = {"protected": [], "clear": []}
            for _ in range(args.rounds):
                for name in ("protected", "clear"):  # interleaved, so drift hits both alike
                    pid = servers[name].pid
                    assert pid is not None
                    rounds[name].append(asyncio.run(measure(
                        targets[name], args.transport, args.messages, args.concurrency,
                        alice, info, key if name == "protected" else None, not args.direct, pid)))
        finally:
            for process in [*cores.values(), *servers.values()]:
                process.stop()
    report(args, rounds)
    return 0


def report(args: argparse.Namespace, rounds: dict[str, list[Round]]) -> None:
    rate = {name: statistics.median(r.rate for r in rs) for name, rs in rounds.items()}
    cpu = {name: statistics.median(r.server_cpu for r in rs) * 1000 for name, rs in rounds.items()}
    path = "client -> MCPTT server (no SIP core)" if args.direct else "client -> reference SIP core -> MCPTT server"
    server = "no trace, WARNING" if args.quiet_server else "trace written, INFO"
    print(f"MESSAGE transactions, {path}, {args.transport}, {args.messages} per round x {args.rounds} rounds, "
          f"concurrency {args.concurrency}; MCPTT server: {server}")
    for name, label in (("protected", "protected (S/MIME, CEK from KMS)"), ("clear", "clear (protection off)")):
        print(f"  {label:33} median {rate[name]:8.1f} /s   server CPU median {cpu[name]:6.3f} ms/transaction")
        print(f"  {'':33} rounds /s {[round(r.rate) for r in rounds[name]]}   "
              f"ms {[round(r.server_cpu * 1000, 3) for r in rounds[name]]}")
    print(f"  ratio protected/clear: throughput {rate['protected'] / rate['clear']:.2f}   "
          f"server CPU {cpu['protected'] / cpu['clear']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
