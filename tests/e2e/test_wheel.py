"""A wheel built from the checkout, installed into a fresh virtual environment outside it, runs the
suite from an empty folder (the shared baseline run is that run), and puts no import name but mcsec
into site-packages."""
from __future__ import annotations

import subprocess
import zipfile

from mcsec.catalogue import load_catalogue, scan_scenarios
from tests.e2e.conftest import all_applicable_pass


def test_the_wheel_holds_one_import_name_and_all_data(installed_suite):
    wheel, _ = installed_suite
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/", 1)[0] for n in names} == {"mcsec", f"{wheel.name.split('-py3')[0]}.dist-info"}
    for data in ("mcsec/features/requirements.toml", "mcsec/features/7.13/token-authorisation.feature",
                 "mcsec/features/source/tr33879-7.13-7.14.txt", "mcsec/impl/kms/schema/kms-interface.xsd",
                 "mcsec/impl/kms/schema/cek.xsd", "mcsec/fixtures/profiles/reference.toml",
                 "mcsec/fixtures/vectors/mikey-sakke-vectors.json", "mcsec/fixtures/lab/kamailio-core.cfg"):
        assert data in names, data


def test_no_stray_top_level_names_are_importable(installed_suite, tmp_path):
    _, bin_dir = installed_suite
    for name in ("impl", "fixtures", "steps", "reports", "features"):
        probe = subprocess.run([str(bin_dir / "python"), "-c", f"import {name}"], cwd=tmp_path, capture_output=True,
                               text=True, timeout=120)
        assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr, name


def test_the_installed_suite_lists_the_catalogue(installed_suite, tmp_path):
    _, bin_dir = installed_suite
    listed = subprocess.run([str(bin_dir / "mcsec"), "requirements"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
    n = len(load_catalogue())
    assert f"{n} requirements, {n} cited by {len(scan_scenarios())} scenarios, 0 uncited" in listed.stdout


def test_the_installed_suite_passes_every_scenario_from_an_empty_folder(baseline_run):
    assert baseline_run.status == 0, baseline_run.stdout[-3000:] + baseline_run.stderr[-3000:]
    assert len(baseline_run.results["scenarios"]) == len(scan_scenarios())
    assert not all_applicable_pass(baseline_run.results["scenarios"])
