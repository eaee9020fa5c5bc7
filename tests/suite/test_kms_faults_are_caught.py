"""Each refusal scenario of the 7.13 key-management features fails when the KMS check it relies on
is switched off by a named fault; and every fault of the KMS is caught by a scenario citing the
requirement the fault violates."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from impl.faults import for_role
from mcsec.catalogue import scan_scenarios
from tests.suite.conftest import mcsec_run

KMS_FAULTS = for_role("kms")


@pytest.fixture(scope="module")
def fault_runs(tmp_path_factory):
    def one(fault):
        args = ["--fault", fault.name]
        for rid in fault.requirements:
            args += ["--requirement", rid]
        return fault, mcsec_run(tmp_path_factory.mktemp(fault.name), *args)
    cited = {rid for s in scan_scenarios() for rid in s.requirements}
    runnable = [f for f in KMS_FAULTS if set(f.requirements) & cited]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, runnable))


def test_every_kms_fault_fails_a_scenario_citing_its_requirement(fault_runs):
    assert len(fault_runs) >= 12
    survivors = []
    for fault, run in fault_runs.items():
        killers = [s for s in run.results["scenarios"]
                   if s["verdict"] == "fail" and set(s["requirements"]) & set(fault.requirements)]
        errors = [s["id"] for s in run.results["scenarios"] if s["verdict"] in ("error", "inconclusive")]
        assert not errors, f"{fault.name}: suite errors {errors}"
        if run.status != 1 or not killers:
            survivors.append(fault.name)
    assert not survivors, f"faults no scenario caught: {survivors}"


def test_every_key_management_scenario_is_killed_by_some_fault(fault_runs):
    killed = {s["id"] for run in fault_runs.values() for s in run.results["scenarios"] if s["verdict"] == "fail"}
    km = [s.id for s in scan_scenarios() if s.feature.startswith("7.13/") and
          any(r.startswith("R713-KM") or r.startswith("R713-EN") or r.startswith("R713-KEYID") for r in s.requirements)]
    assert km
    unkilled = [s for s in km if s not in killed]
    assert not unkilled, f"scenarios no KMS fault makes fail (they could not fail): {unkilled}"
