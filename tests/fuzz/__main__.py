"""Run the fuzz harnesses: ``python -m tests.fuzz {list,run,all,repro}`` (``make fuzz`` runs ``all``).

    python -m tests.fuzz list
    python -m tests.fuzz all [--inputs N] [--out DIR] [NAME ...]   one harness after the other
    python -m tests.fuzz run NAME [--inputs N] [--out DIR]          one harness, in this process
    python -m tests.fuzz repro NAME FILE ...                       feed saved inputs, show what fails

Each run is bounded by its number of inputs (``--inputs``, default ``FUZZ_INPUTS`` or 1,000,000).
Under ``OUT/NAME/``: ``seeds/`` (written from the harness's builders and vectors on every run),
``corpus/`` (what libFuzzer kept; it seeds the next run), ``crashes/`` (every input that raised an
unexpected exception, named ``crash-<sha1>``), ``dict`` (the libFuzzer dictionary), ``log``.
``all`` writes ``OUT/summary.json``: inputs run, seconds and crashes per harness.

The engine is atheris (coverage-guided libFuzzer, with the harness's structure-aware mutator beside
libFuzzer's own) when it is installed (``pip install -e '.[fuzz]'``); otherwise hypothesis, with the
harness's mutation strategy and ``max_examples`` = the number of inputs.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import json
import os
import random
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

from tests.fuzz import registry

DEFAULT_OUT = Path("reports/out/fuzz")
#: libFuzzer's hang detector: one input running this long is reported as a finding (a timeout-*
#: artifact). It bounds no run; the number of inputs does.
HANG_S = 120


def _default_inputs() -> int:
    return int(os.environ.get("FUZZ_INPUTS", "1000000"))


def _atheris_available() -> bool:
    try:
        importlib.import_module("atheris")
    except ImportError:
        return False
    return True


def _dictionary_entry(token: bytes) -> str:
    return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\x{b:02x}"
                         for b in token) + '"'


def _prepare(name: str, out: Path) -> tuple[Path, object]:
    """The harness's folders, its seeds written out, its dictionary."""
    harness = registry.load(name)
    folder = out / name
    for sub in ("seeds", "corpus", "crashes"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for seed in harness.seed_list:
        (folder / "seeds" / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    (folder / "dict").write_text("".join(_dictionary_entry(t) + "\n" for t in harness.tokens if t))
    return folder, harness


def _instrument(prefixes: tuple[str, ...]) -> int:
    """Give libFuzzer coverage of every function already loaded from the modules under ``prefixes``
    (branches only: comparison tracing doubles the cost of the decoders' character loops, and the
    dictionary and structure-aware mutators supply the magic values)."""
    import atheris
    from atheris import instrument_bytecode

    count = 0
    for obj in gc.get_objects():
        if not instrument_bytecode._is_instrumentable(obj):
            continue
        module = obj.__module__ or ""
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            try:
                obj.__code__ = instrument_bytecode.patch_code(obj.__code__, False, True)
            except (AttributeError, TypeError):  # another atheris release: its public call
                atheris.instrument_func(obj)
            count += 1
    return count


def run_atheris(name: str, inputs: int, out: Path) -> int:
    import atheris

    folder, harness = _prepare(name, out)
    functions = _instrument(registry.HARNESSES[name])

    def mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return atheris.Mutate(data, max_size)
        try:
            return harness.mutate_one(data, rng)[:max_size]
        except Exception:  # a mutator slip is no finding; libFuzzer's own mutation stands in
            return atheris.Mutate(data, max_size)

    max_len = harness.max_len or max(2048, 2 * max(len(s) for s in harness.seed_list))
    argv = [sys.argv[0], f"-runs={inputs}", f"-max_len={max_len}", f"-timeout={HANG_S}",
            f"-artifact_prefix={folder / 'crashes'}/", f"-dict={folder / 'dict'}", "-print_final_stats=1",
            "-reload=0", str(folder / "corpus"), str(folder / "seeds")]
    print(f"fuzz {name}: atheris, {inputs} inputs, {functions} functions instrumented, "
          f"corpus {folder / 'corpus'}", flush=True)
    atheris.Setup(argv, harness.one_input, custom_mutator=mutator)
    atheris.Fuzz()
    return 0  # not reached: libFuzzer exits the process


def run_hypothesis(name: str, inputs: int, out: Path) -> int:
    from hypothesis import HealthCheck, Phase, given, settings

    folder, harness = _prepare(name, out)
    failures: list[bytes] = []

    @settings(max_examples=inputs, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(harness.strategy())
    def fuzz(data: bytes) -> None:
        try:
            harness.one_input(data)
        except BaseException:
            failures.append(data)
            raise

    print(f"fuzz {name}: hypothesis, {inputs} inputs", flush=True)
    start = time.monotonic()
    try:
        fuzz()
    except Exception:
        minimal = failures[-1]
        path = folder / "crashes" / f"crash-{hashlib.sha1(minimal).hexdigest()}"
        path.write_bytes(minimal)
        traceback.print_exc()
        print(f"crash saved to {path}", flush=True)
        return 1
    print(f"Done {inputs} runs in {int(time.monotonic() - start)} second(s)", flush=True)
    return 0


def run_all(names: list[str], inputs: int, out: Path, engine: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    worst = 0
    for name in names:
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        crashes_before = set((folder / "crashes").glob("*")) if (folder / "crashes").exists() else set()
        start = time.monotonic()
        with open(folder / "log", "w") as log:
            result = subprocess.run([sys.executable, "-m", "tests.fuzz", "run", name, "--inputs", str(inputs),
                                     "--out", str(out), "--engine", engine], stdout=log, stderr=subprocess.STDOUT)
        seconds = round(time.monotonic() - start, 1)
        text = (folder / "log").read_text(errors="replace")
        done = re.findall(r"Done (\d+) runs in (\d+) second", text)
        crashes = sorted(str(p) for p in set((folder / "crashes").glob("*")) - crashes_before)
        entry = {"engine": engine, "inputs_requested": inputs, "inputs_run": int(done[-1][0]) if done else None,
                 "seconds": seconds, "exit_status": result.returncode, "new_crashes": crashes}
        summary[name] = entry
        summary_path.write_text(json.dumps(summary, indent=2) + "\n")
        verdict = "ok" if result.returncode == 0 and not crashes else "FINDING"
        print(f"{name:18} {verdict:8} {entry['inputs_run']} inputs in {seconds} s"
              + (f"; see {folder / 'log'}" if verdict != "ok" else ""), flush=True)
        worst = max(worst, 0 if verdict == "ok" else 1)
    return worst


def repro(name: str, files: list[str]) -> int:
    harness = registry.load(name)
    status = 0
    for file in files:
        data = Path(file).read_bytes()
        try:
            harness.one_input(data)
        except Exception:
            status = 1
            print(f"{file}: {data[:200]!r}")
            traceback.print_exc()
        else:
            print(f"{file}: decoded or refused with the documented error")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the harnesses and what each feeds")
    for command in ("run", "all"):
        sub = commands.add_parser(command)
        sub.add_argument("names", nargs="*" if command == "all" else 1, metavar="NAME")
        sub.add_argument("--inputs", type=int, default=_default_inputs())
        sub.add_argument("--out", type=Path, default=DEFAULT_OUT)
        sub.add_argument("--engine", choices=("atheris", "hypothesis"),
                         default="atheris" if _atheris_available() else "hypothesis")
    sub = commands.add_parser("repro")
    sub.add_argument("name")
    sub.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name in registry.HARNESSES:
            print(f"{name:18} {registry.load(name).decoder}")
        return 0
    if args.command == "repro":
        return repro(args.name, args.files)
    if args.engine == "atheris" and not _atheris_available():
        parser.error("atheris is not installed (pip install -e '.[fuzz]'); use --engine hypothesis")
    if args.command == "all":
        return run_all(args.names or list(registry.HARNESSES), args.inputs, args.out, args.engine)
    run = run_atheris if args.engine == "atheris" else run_hypothesis
    return run(args.names[0], args.inputs, args.out)


if __name__ == "__main__":
    sys.exit(main())
