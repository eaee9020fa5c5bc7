"""Campaigns: many products judged in one go, each entry a whole `mcsec run` with a lab of its own.

A campaign file (TOML) lists entries; each is one product run: a SUT profile (a vendor's KMS, server,
client, core, or a pairing such as vendor A's client with vendor B's server), a reference role served
as the product (`mcsec serve --iut ROLE`, for rehearsals), or the built-in reference. `load()` checks
the whole file before anything runs and raises `CampaignError` naming the file and the key.
`run_campaign()` runs the entries in parallel subprocesses (`mcsec run --jobs 1 --out DIR/runs/NAME`),
never two at once that share a product outside the lab or a fixed lab port, and returns each entry's
outcome; reports/campaign.py turns them into campaign.json and the pages.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from mcsec.fixtures.profile import ROLES, ProfileError, load as load_profile
from mcsec.reports import results

REFERENCE = "MCSec reference"
"""The product name of the bundled reference implementation: the built-in entry's product, and the peer
of every entry whose roles under test are all one product."""

KINDS = ("reference", "profile", "serve")
DEFAULT_TIMEOUT_S = 1800.0
STOP_GRACE_S = 10.0
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SIP_CORES = ("reference", "kamailio")

_CAMPAIGN_KEYS = {"name", "timeout_s"}
_ENTRY_KEYS = {"name", "reference", "profile", "serve", "product", "requirements", "keyword", "ics", "faults",
               "sip_core"}


class CampaignError(ValueError):
    """The campaign file is unusable; the message names the file and the key."""


@dataclass(frozen=True)
class Entry:
    """One product run of a campaign."""
    name: str
    kind: str                                   # reference | profile | serve
    products: dict[str, str]                    # role under test -> product name (for the matrix)
    profile: Path | None = None                 # kind profile: the SUT profile
    serve: str | None = None                    # kind serve: the reference role served as the product
    requirements: tuple[str, ...] = ()
    keyword: str | None = None
    ics: dict[str, bool] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    sip_core: str | None = None
    exclusive: frozenset[str] = frozenset()     # what no other entry may use while this one runs

    @property
    def product_names(self) -> list[str]:
        """The distinct products under test, in the order of their roles."""
        return list(dict.fromkeys(self.products.values()))

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The matrix cells this run fills: every two of its products, or its one product with the reference."""
        names = self.product_names
        if len(names) == 1:
            return [(names[0], REFERENCE)]
        return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]

    @property
    def source(self) -> str:
        if self.kind == "profile":
            return str(self.profile)
        if self.kind == "serve":
            return f"reference {self.serve} served as the product"
        return "built-in reference profile"

    def run_options(self) -> list[str]:
        """The options of this entry's `mcsec run` (besides --sut, --out and --jobs)."""
        options = [a for r in self.requirements for a in ("--requirement", r)]
        if self.keyword:
            options += ["-k", self.keyword]
        if self.sip_core:
            options += ["--sip-core", self.sip_core]
        if self.kind != "serve":   # a served product takes its ICS side and faults at the serve
            options += [a for item, value in self.ics.items() for a in ("--ics", f"{item}={str(value).lower()}")]
            options += [a for f in self.faults for a in ("--fault", f)]
        return options


@dataclass(frozen=True)
class Campaign:
    name: str
    path: Path
    entries: tuple[Entry, ...]
    timeout_s: float = DEFAULT_TIMEOUT_S


# --------------------------------------------------------------------------- the campaign file


def load(path: Path) -> Campaign:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CampaignError(f"cannot read campaign file {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CampaignError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"campaign", "entry"})
    if unknown:
        raise CampaignError(f"{path}: unknown key {unknown[0]!r} (expected [campaign] and [[entry]] tables)")
    head = data.get("campaign", {})
    if not isinstance(head, dict):
        raise CampaignError(f"{path}: campaign: expected a table ([campaign])")
    _unknown_keys(path, "campaign", head, _CAMPAIGN_KEYS)
    name = head.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise CampaignError(f"{path}: campaign.name: expected a non-empty string")
    timeout = head.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise CampaignError(f"{path}: campaign.timeout_s: expected a positive number of seconds, got {timeout!r}")
    raw = data.get("entry")
    if not isinstance(raw, list) or not raw:
        raise CampaignError(f"{path}: entry: expected at least one [[entry]] table")
    entries: list[Entry] = []
    for i, table in enumerate(raw):
        if not isinstance(table, dict):
            raise CampaignError(f"{path}: entry[{i}]: expected a table ([[entry]])")
        entry = _entry(path, i, table)
        if any(e.name == entry.name for e in entries):
            raise CampaignError(f"{path}: entry[{i}].name: {entry.name!r} is already the name of another entry")
        entries.append(entry)
    return Campaign(name.strip(), path.resolve(), tuple(entries), float(timeout))


def _unknown_keys(path: Path, where: str, table: dict, known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise CampaignError(f"{path}: {where}.{unknown[0]}: unknown key (expected some of "
                            f"{', '.join(sorted(known))})")


def _entry(path: Path, i: int, table: dict) -> Entry:
    from mcsec.catalogue import load_catalogue
    from mcsec.fixtures.profile import ICS_SWITCHES
    from mcsec.impl.faults import REGISTRY

    where = f"entry[{i}]"

    def bad(key: str, message: str) -> CampaignError:
        return CampaignError(f"{path}: {where}.{key}: {message}")

    name = table.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise bad("name", f"expected a name of letters, digits, '.', '_' or '-' (it names the entry's folder), "
                          f"got {name!r}")
    where = f"entry[{i}] ({name})"
    _unknown_keys(path, where, table, _ENTRY_KEYS)
    given = [k for k in KINDS if k in table]
    if len(given) != 1:
        raise CampaignError(f"{path}: {where}: expected exactly one of reference = true, profile = \"FILE\" or "
                            f"serve = \"ROLE\", got {', '.join(given) or 'none'}")
    kind = given[0]
    requirements = _strings(table, "requirements", bad)
    known = {r.id for r in load_catalogue()}
    for r in requirements:
        if r not in known:
            raise bad("requirements", f"unknown requirement {r!r} (`mcsec requirements` lists them)")
    keyword = table.get("keyword")
    if keyword is not None and (not isinstance(keyword, str) or not keyword.strip()):
        raise bad("keyword", "expected a pytest -k expression (a non-empty string)")
    ics = table.get("ics", {})
    if not isinstance(ics, dict):
        raise bad("ics", "expected a table of yes/no ICS items, e.g. ics = { protection_required = false }")
    for item, value in ics.items():
        if item not in ICS_SWITCHES:
            raise bad(f"ics.{item}", f"not an item that can be switched (expected one of {', '.join(ICS_SWITCHES)})")
        if not isinstance(value, bool):
            raise bad(f"ics.{item}", f"expected true or false, got {value!r}")
    faults = _strings(table, "faults", bad)
    for f in faults:
        if f not in REGISTRY:
            raise bad("faults", f"unknown fault {f!r} (`mcsec run --fault list` lists them)")
    sip_core = table.get("sip_core")
    if sip_core is not None and sip_core not in SIP_CORES:
        raise bad("sip_core", f"expected one of {', '.join(SIP_CORES)}, got {sip_core!r}")
    common = dict(requirements=tuple(requirements), keyword=keyword, ics=dict(ics), faults=tuple(faults),
                  sip_core=sip_core)

    if kind == "reference":
        if table["reference"] is not True:
            raise bad("reference", "expected true (the built-in reference profile)")
        if "product" in table:
            raise bad("product", f"the built-in reference is always the product {REFERENCE!r}")
        return Entry(name, kind, {r: REFERENCE for r in ROLES}, **common)

    if kind == "serve":
        role = table["serve"]
        if role not in ROLES:
            raise bad("serve", f"expected the role to serve as the product, one of {', '.join(ROLES)}, got {role!r}")
        products = _products(table, (role,), f"{REFERENCE} {role} (served)", bad)
        return Entry(name, kind, products, serve=role, **common)

    profile_path = table["profile"]
    if not isinstance(profile_path, str) or not profile_path:
        raise bad("profile", "expected the path of a SUT profile (relative to the campaign file)")
    if faults:
        raise bad("faults", "named faults are for the reference implementation: a serve or reference entry")
    full = (path.parent / profile_path).resolve()
    try:
        profile = load_profile(full, sip_core=sip_core, ics_overrides=dict(ics))
    except ProfileError as exc:
        raise bad("profile", str(exc)) from None
    products = _products(table, profile.iut.roles, profile.iut.name, bad)
    return Entry(name, kind, products, profile=full, exclusive=_shared(profile), **common)


def _strings(table: dict, key: str, bad) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise bad(key, "expected a list of strings")
    return value


def _products(table: dict, roles: tuple[str, ...], default: str, bad) -> dict[str, str]:
    """Role under test -> product name: one name for every role, or a table naming each role."""
    value = table.get("product", default)
    if isinstance(value, str):
        if not value.strip():
            raise bad("product", "expected a non-empty product name")
        return {r: value.strip() for r in roles}
    if not isinstance(value, dict):
        raise bad("product", "expected a product name, or a table of role = product name")
    missing = [r for r in roles if r not in value]
    extra = [r for r in value if r not in roles]
    if missing or extra:
        said = "; ".join(x for x in (f"no product for {', '.join(missing)}" if missing else "",
                                     f"{', '.join(extra)} not under test" if extra else "") if x)
        raise bad("product", f"{said} (the roles under test are {', '.join(roles)})")
    for role, name in value.items():
        if not isinstance(name, str) or not name.strip():
            raise bad(f"product.{role}", "expected a non-empty product name")
    return {r: value[r].strip() for r in roles}


def _shared(profile) -> frozenset[str]:
    """What a run of ``profile`` holds while it runs: the product endpoints outside the lab (two labs
    registering the same users at one product would disturb each other) and the fixed lab ports."""
    e = profile.ixit.endpoints
    held = {f"{what} {where}" for what, where in (("idm", e.idm_url), ("kms", e.kms_url), ("server", e.server_sip),
                                                   ("core", e.core_sip1), ("core", e.core_sip2)) if where}
    held |= {f"client {url}" for url in e.upper_testers.values()}
    held |= {f"client {hp}" for hp in e.client_sip.values()}
    held |= {f"lab port {port}" for port in vars(profile.lab.ports).values() if port}
    return frozenset(held)


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    """What one entry's run left."""
    entry: Entry
    exit_status: int | None          # that of `mcsec run`; None: it did not end by itself or never started
    document: dict | None            # its results.json
    duration_s: float
    problem: str = ""

    @property
    def status(self) -> str:
        """pass | fail | inconclusive | broken (no results, or the run refused its options)."""
        if self.document is None or self.exit_status not in (results.EXIT_OK, results.EXIT_FAIL,
                                                              results.EXIT_INCONCLUSIVE):
            return "broken"
        return {results.EXIT_OK: "pass", results.EXIT_FAIL: "fail"}.get(self.exit_status, "inconclusive")


STATUS_EXIT = {"pass": results.EXIT_OK, "fail": results.EXIT_FAIL, "inconclusive": results.EXIT_INCONCLUSIVE,
               "broken": results.EXIT_INCONCLUSIVE}


def exit_status(outcomes: list[Outcome]) -> int:
    """0 every entry passed, 1 one failed, 3 else the worst is inconclusive or broken."""
    statuses = {o.status for o in outcomes}
    if "fail" in statuses:
        return results.EXIT_FAIL
    if statuses & {"inconclusive", "broken"}:
        return results.EXIT_INCONCLUSIVE
    return results.EXIT_OK


def schedule(entries: list[Entry], jobs: int, run_one: Callable[[Entry], Outcome],
             done: Callable[[Outcome], None], stop: Callable[[], None] = lambda: None) -> list[Outcome]:
    """Run every entry with ``run_one`` in up to ``jobs`` threads, in the file's order, holding back an entry
    while another one that shares something it holds exclusively runs; ``done`` hears of each outcome as it
    ends (in the calling thread). On an interrupt, ``stop`` ends the live runs before the threads are waited
    for. Returns the outcomes in the file's order."""
    pending = list(entries)
    held: set[str] = set()
    running: dict[Future, Entry] = {}
    outcomes: dict[str, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        while pending or running:
            for entry in list(pending):
                if len(running) >= jobs:
                    break
                if entry.exclusive & held:
                    continue
                pending.remove(entry)
                held |= entry.exclusive
                running[pool.submit(run_one, entry)] = entry
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                entry = running.pop(future)
                held -= entry.exclusive
                outcome = future.result()
                outcomes[entry.name] = outcome
                done(outcome)
    except BaseException:
        stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [outcomes[e.name] for e in entries]


class Runner:
    """Starts each entry's `mcsec run` (and, for a served product, its `mcsec serve`) as process trees of
    their own, bounded by the campaign's timeout; `stop_all` ends every live one."""

    def __init__(self, out: Path, timeout_s: float, python: str = sys.executable):
        self.out = out
        self.timeout_s = timeout_s
        self.python = python
        self._live: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.stopping = False

    def run_dir(self, entry: Entry) -> Path:
        return self.out / "runs" / entry.name

    def log_path(self, entry: Entry) -> Path:
        return self.out / "runs" / f"{entry.name}.log"

    def run(self, entry: Entry) -> Outcome:
        out = self.run_dir(entry)
        shutil.rmtree(out, ignore_errors=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        if entry.kind != "serve":
            sut = ["--sut", str(entry.profile)] if entry.profile is not None else []
            return self._run(entry, sut, started)
        from mcsec.fixtures.lab.served import ServeError, served_iut

        # The served product's folder holds its test credentials (the written profile, the serve's
        # printout): private, and removed with the serve, never part of the campaign's reports.
        private = Path(tempfile.mkdtemp(prefix=f"mcsec-campaign-{entry.name}-"))
        try:
            with served_iut(entry.serve, private, faults=entry.faults,
                            ics=[f"{k}={str(v).lower()}" for k, v in entry.ics.items()],
                            env=_environment(), python=self.python) as iut:
                return self._run(entry, ["--sut", str(iut.profile)], started)
        except ServeError as exc:
            problem = f"the served {entry.serve} did not start: {exc}"
            self.log_path(entry).write_text(problem + "\n", encoding="utf-8")
            return Outcome(entry, None, None, time.monotonic() - started, problem)
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def _run(self, entry: Entry, sut: list[str], started: float) -> Outcome:
        out = self.run_dir(entry)
        command = [self.python, "-m", "mcsec", "run", "--jobs", "1", "--out", str(out), *sut, *entry.run_options()]
        problem = ""
        with open(self.log_path(entry), "wb") as log:
            if self.stopping:
                return Outcome(entry, None, None, time.monotonic() - started, "the campaign was interrupted")
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=_environment(), start_new_session=True)
            with self._lock:
                self._live.add(process)
            try:
                code = process.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                _stop(process)
                code, problem = None, f"the run did not end within {self.timeout_s:.0f} s (campaign.timeout_s)"
            finally:
                with self._lock:
                    self._live.discard(process)
        document = None
        if code is not None:
            try:
                document = results.load(out / "results.json")
            except results.ResultsError as exc:
                problem = f"exit status {code} and no results: {exc}; see {self.log_path(entry).name}"
            else:
                if code == results.EXIT_USAGE:
                    problem = f"the run refused its options (exit status 2); see {self.log_path(entry).name}"
        if self.stopping and not problem:
            problem = "the campaign was interrupted"
        return Outcome(entry, code, document, time.monotonic() - started, problem)

    def stop_all(self) -> None:
        self.stopping = True
        with self._lock:
            live = list(self._live)
        for process in live:
            _stop(process)


def _environment() -> dict[str, str]:
    """The runs' environment: faults come only from the campaign file."""
    return {k: v for k, v in os.environ.items() if k != "MCSEC_FAULTS"}


def _stop(process: subprocess.Popen) -> None:
    for sig in (signal.SIGINT, signal.SIGKILL):   # SIGINT: the run stops its lab and writes what it has
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=STOP_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


# --------------------------------------------------------------------------- campaign.json


def document(campaign: Campaign, outcomes: list[Outcome], out: Path, *, started, finished, wall_time_s: float,
             jobs: int) -> dict:
    """campaign.json: the campaign, every entry's run and the interop matrix (reports/campaign.py)."""
    import platform

    from mcsec import __version__
    from mcsec.reports import campaign as report

    entries = []
    for o in outcomes:
        e = o.entry
        run_dir, log = Path("runs") / e.name, Path("runs") / f"{e.name}.log"
        has = {name: (out / run_dir / name).is_file() for name in ("results.json", "compliance.html")}
        sut = (o.document or {}).get("sut", {})
        entries.append({
            "name": e.name, "kind": e.kind, "source": e.source,
            "profile": str(e.profile) if e.profile else None, "serve": e.serve,
            "roles": dict(e.products), "products": e.product_names, "pairs": [list(p) for p in e.pairs],
            "selection": {"requirements": list(e.requirements), "keyword": e.keyword},
            "ics": dict(e.ics), "faults": list(e.faults), "sip_core": e.sip_core,
            "sut": {"name": sut.get("name"), "version": sut.get("version")},
            "status": o.status, "exit_status": o.exit_status,
            "summary": report.summed([o.document["summary"]]) if o.document else report.summed([]),
            "problem": o.problem, "duration_s": round(o.duration_s, 3),
            "results": (run_dir / "results.json").as_posix() if has["results.json"] else None,
            "report": (run_dir / "compliance.html").as_posix() if has["compliance.html"] else None,
            "log": log.as_posix() if (out / log).is_file() else None,
        })
    totals = {"entries": len(entries), **{s: sum(e["status"] == s for e in entries) for s in report.STATUSES}}
    status = exit_status(outcomes)
    return {
        "schema": report.SCHEMA,
        "suite": {"name": "mcsec", "version": __version__, "python": platform.python_version(),
                  "started": started.isoformat(timespec="seconds"), "finished": finished.isoformat(timespec="seconds"),
                  "wall_time_s": round(wall_time_s, 3), "jobs": jobs},
        "campaign": {"name": campaign.name, "file": str(campaign.path), "timeout_s": campaign.timeout_s},
        "reference": REFERENCE,
        "status": {results.EXIT_OK: "pass", results.EXIT_FAIL: "fail"}.get(status, "inconclusive"),
        "exit_status": status,
        "totals": totals,
        "products": report.products(entries, REFERENCE),
        "entries": entries,
        "matrix": report.matrix_cells(entries),
    }
