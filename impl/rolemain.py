"""How every reference role runs as its own process.

`python -m mcsec.impl.<role> --config CONFIG.json` loads the JSON configuration the
lab (or `mcsec serve`) wrote, starts the role's servers on the configured
loopback ports (0 = pick a free one), prints exactly one JSON line on stdout,
`{"role": ..., "ready": true, ...endpoints...}`, and serves until SIGTERM or
SIGINT. A configuration it cannot use gives `{"role": ..., "ready": false,
"error": ...}` and exit status 2; so does an address it cannot bind (the error
then says "in use", and the lab chooses its ports again). Logs go to stderr and never carry keys,
tokens or passwords; when stderr is a regular file it rotates at the size
cap of the configuration's ``rotation`` item (impl/rotation.py).
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Callable, Protocol

from mcsec.impl import rotation


class Startable(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


class ConfigError(Exception):
    """The role's configuration is unusable; the message names the item."""


Builder = Callable[[dict], tuple[list[Startable], dict]]


def _emit(line: dict) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def _cannot_serve(role: str, exc: OSError) -> int:
    """A role that cannot bind or read what it serves with: a not-ready line (the lab reads "in use" in it
    and chooses its ports again) and the same in its log; exit status 2."""
    _emit({"role": role, "ready": False, "error": f"cannot serve: {exc}"})
    logging.getLogger("mcsec.role").error("%s cannot serve: %s", role, exc)
    return 2


def run_role(role: str, build: Builder, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m mcsec.impl.{role}")
    parser.add_argument("--config", required=True, type=Path, help="role configuration (JSON)")
    args = parser.parse_args(argv)
    try:
        config = json.loads(args.config.read_text())
    except (OSError, ValueError) as exc:
        _emit({"role": role, "ready": False, "error": f"cannot read configuration: {exc}"})
        return 2
    if not isinstance(config, dict):
        _emit({"role": role, "ready": False, "error": "configuration: must be a JSON object"})
        return 2
    level = config.get("log_level", "INFO")
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        _emit({"role": role, "ready": False, "error": "log_level must be DEBUG, INFO, WARNING or ERROR"})
        return 2
    try:
        bounds = rotation.parse(config.get("rotation"))
    except rotation.RotationError as exc:
        _emit({"role": role, "ready": False, "error": str(exc)})
        return 2
    # stderr is the role's log: when it is a file (the lab's <name>.log), it rotates at the cap.
    rotation.install_log_rotation(bounds, level, f"%(asctime)s {role} %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        servers, info = build(config)
    except ConfigError as exc:
        _emit({"role": role, "ready": False, "error": str(exc)})
        return 2
    except OSError as exc:  # a server binds as it is built: its address taken meanwhile, a file it cannot read
        return _cannot_serve(role, exc)
    started: list[Startable] = []
    try:
        for server in servers:
            try:
                server.start()
            except OSError as exc:  # its address taken meanwhile (another lab on the machine): said, not a crash
                return _cannot_serve(role, exc)
            started.append(server)
        # Everything made so far (modules, configuration, keys) lives as long as the process: keep it
        # out of the garbage collector's full passes, which would otherwise walk it again and again
        # while the role serves.
        gc.collect()
        gc.freeze()
        _emit({"role": role, "ready": True, **info})
        logging.getLogger("mcsec.role").info("%s ready", role)
        while not stop.wait(0.5):
            pass
    finally:
        for server in reversed(started):
            try:
                server.stop()
            except Exception:  # keep stopping the others
                logging.getLogger("mcsec.role").exception("stopping %s", role)
    return 0
