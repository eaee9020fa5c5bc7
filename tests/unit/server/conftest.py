"""Fixtures: one lab (real IdM and KMS) for the package, the MCPTT server as a real process, servers
with a fault switched on (started on first use), and users with tokens and CEKs."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import Profile, load
from mcsec.fixtures.lab.roleprocess import RoleProcess
from tests.unit.server.harness import LabUsers, start_server


@pytest.fixture(scope="package")
def profile() -> Profile:
    return load()


@pytest.fixture(scope="package")
def lab(profile: Profile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with Lab(profile, tmp_path_factory.mktemp("server-lab"), roles=("idm", "kms")) as running:
        yield running


@pytest.fixture(scope="package")
def users(lab: Lab, profile: Profile) -> LabUsers:
    return LabUsers(lab, profile)


class ServerFarm:
    """Server processes by configuration variant, started on first use, stopped at the end."""

    def __init__(self, lab: Lab, profile: Profile, base: Path) -> None:
        self.lab, self.profile, self.base = lab, profile, base
        self.processes: dict[str, RoleProcess] = {}

    def get(self, name: str, *, faults: tuple[str, ...] = (), **overrides: object) -> RoleProcess:
        if name not in self.processes:
            self.processes[name] = start_server(self.lab, self.profile, self.base / name, faults=faults,
                                                **overrides)
        return self.processes[name]

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


@pytest.fixture(scope="package")
def farm(lab: Lab, profile: Profile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFarm]:
    servers = ServerFarm(lab, profile, tmp_path_factory.mktemp("servers"))
    yield servers
    servers.stop()


@pytest.fixture(scope="package")
def server(farm: ServerFarm) -> RoleProcess:
    return farm.get("reference")
