"""Benchmark of the identity-based cryptography: gmpy2 against plain Python integers.

    .venv/bin/python benchmarks/bench_ibc.py [--repeat N]

Each backend runs in its own subprocess (the backend is fixed at import through
MCSEC_IBC_BACKEND); the parent prints the median milliseconds per operation and
the ratio int/gmpy2. Fixed-base tables and the receiver's prepared pairing lines
are built in a warm-up call, as a long-running client or server would have them.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("gmpy2", "int")


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up: tables, caches
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(samples)


def measure(repeat: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from mcsec.impl.ibc import eccsi, sakke
    from mcsec.impl.ibc.freshness import AcceptAll
    from mcsec.impl.ibc.kms_keys import IbcKms
    from mcsec.impl.ibc.mikey import KeyPurpose, build_i_message, process_i_message
    from mcsec.impl.ibc.uid import KeyPeriod, unix_to_ntp

    kms = IbcKms.generate("kms.example.org", KeyPeriod(2592000))
    period_no = kms.key_period.number_at(unix_to_ntp(time.time()))
    alice = kms.issue_key_set("sip:alice@example.org", period_no)
    server = kms.issue_key_set("sip:as@example.org", period_no)
    cert = kms.certificate()
    msg = b"x" * 600
    signing = alice.signing_key()
    sig = eccsi.sign(msg, signing, cert.kpak)
    enc = sakke.encapsulate(server.user_id, cert.z_t)
    rsk = server.receiver_key()
    built = build_i_message(kms=cert, initiator=alice, responder_uri=server.user_uri, purpose=KeyPurpose.CSK)

    def cold_decapsulate():
        sakke.decapsulate(enc.sed, server.user_id, server.rsk, cert.z_t)

    ops = {
        "ECCSI sign": lambda: eccsi.sign(msg, signing, cert.kpak),
        "ECCSI verify": lambda: eccsi.verify(msg, sig, alice.user_id, cert.kpak),
        "SAKKE encapsulate": lambda: sakke.encapsulate(server.user_id, cert.z_t),
        "SAKKE decapsulate": lambda: sakke.decapsulate(enc.sed, server.user_id, rsk, cert.z_t),
        "SAKKE decapsulate (new RSK)": cold_decapsulate,
        "SSK issuance (KMS)": lambda: kms.eccsi.issue(alice.user_id),
        "RSK issuance (KMS)": lambda: kms.sakke.issue_rsk(server.user_id),
        "I_MESSAGE build": lambda: build_i_message(kms=cert, initiator=alice, responder_uri=server.user_uri),
        "I_MESSAGE process": lambda: process_i_message(built.data, kms=cert, responder=server,
                                                       freshness=AcceptAll()),
    }
    return {name: _median_ms(fn, repeat) for name, fn in ops.items()}


def run_backend(backend: str, repeat: int) -> dict[str, float]:
    env = dict(os.environ, MCSEC_IBC_BACKEND=backend)
    out = subprocess.run([sys.executable, __file__, "--worker", "--repeat", str(repeat)], env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{backend} backend failed:\n{out.stderr}")
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per operation (median reported)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.repeat)))
        return 0
    results = {b: run_backend(b, args.repeat) for b in BACKENDS}
    width = max(len(k) for k in results["gmpy2"])
    print(f"{'operation':<{width}}  {'gmpy2 ms':>9}  {'int ms':>9}  {'int/gmpy2':>9}")
    print("-" * (width + 33))
    for name, fast in results["gmpy2"].items():
        slow = results["int"][name]
        print(f"{name:<{width}}  {fast:9.2f}  {slow:9.2f}  {slow / fast:9.2f}")
    print(f"\nmedian of {args.repeat} runs per operation; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
