"""The recipes for running MCSec on engines users already run: the GitHub Actions workflow validates
against the workflow schema (as vendored by check-jsonschema), the Kubernetes manifests against the
Kubernetes resource schemas (kubernetes-validate, strict), both run the image the Containerfile builds
with the same shard entry, and the entry picks its shard from JOB_COMPLETION_INDEX."""
from __future__ import annotations

import json
import os
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / ".github" / "workflows" / "conformance.yml"
JOB = ROOT / "deploy" / "kubernetes" / "conformance-job.yaml"
MERGE_JOB = ROOT / "deploy" / "kubernetes" / "merge-job.yaml"
ENTRY = ROOT / "deploy" / "shard-entry.sh"
K8S_VERSION = "1.30"


def _workflow() -> dict:
    # YAML 1.1 reads the key `on` as True; the schema wants the string
    doc = yaml.safe_load(WORKFLOW.read_text())
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def test_the_workflow_follows_the_github_workflow_schema():
    schema = json.loads(resources.files("check_jsonschema").joinpath(
        "builtin_schemas/vendor/github-workflows.json").read_text())
    jsonschema.validate(_workflow(), schema)
    broken = _workflow()
    broken["jobs"]["shard"]["runs-on"] = {"labels": 3}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_workflow_runs_each_shard_with_the_entry_and_merges_them_all():
    doc = _workflow()
    shards = int(doc["env"]["SHARDS"])
    assert doc["jobs"]["shard"]["strategy"]["matrix"]["index"] == list(range(shards))
    run = "\n".join(step.get("run", "") for step in doc["jobs"]["shard"]["steps"])
    assert "--entrypoint mcsec-shard" in run and "JOB_COMPLETION_INDEX=${{ matrix.index }}" in run
    merge = "\n".join(step.get("run", "") for step in doc["jobs"]["merge"]["steps"])
    assert all(f"/results/shard-{k}/results.json" in merge for k in range(1, shards + 1))
    assert doc["jobs"]["merge"]["needs"] == "shard" and doc["jobs"]["shard"]["needs"] == "image"


def _resources(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("path", [JOB, MERGE_JOB], ids=["indexed-job", "merge-job"])
def test_the_kubernetes_manifests_follow_the_resource_schemas(path):
    for resource in _resources(path):
        kubernetes_validate.validate(resource, K8S_VERSION, strict=True)
    broken = next(r for r in _resources(path) if r["kind"] == "Job")
    broken["spec"]["completions"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_the_indexed_job_and_the_merge_agree_on_the_shards_and_the_image():
    job = next(r for r in _resources(JOB) if r["kind"] == "Job")
    spec = job["spec"]
    container = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == int(env["SHARDS"])
    assert container["command"] == ["mcsec-shard"] and "NET_RAW" in container["securityContext"]["capabilities"]["add"]
    merge = next(r for r in _resources(MERGE_JOB) if r["kind"] == "Job")["spec"]["template"]["spec"]["containers"][0]
    assert merge["image"] == container["image"]
    assert [a for a in merge["args"] if a.endswith("results.json")] == \
        [f"/results/shard-{k}/results.json" for k in range(1, spec["completions"] + 1)]
    containerfile = (ROOT / "Containerfile").read_text()
    assert "deploy/shard-entry.sh /usr/local/bin/mcsec-shard" in containerfile
    assert 'ENTRYPOINT ["mcsec"]' in containerfile


def _entry(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(ENTRY), *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ["PATH"], "MCSEC": "echo mcsec", **env})


def test_the_shard_entry_turns_the_completion_index_into_a_shard():
    done = _entry({"JOB_COMPLETION_INDEX": "0", "SHARDS": "3", "RESULTS_DIR": "/r"}, "--requirement", "R713-KM-SIG")
    assert done.returncode == 0 and done.stdout.split() == [
        "mcsec", "run", "--shard", "1/3", "--jobs", "1", "--out", "/r/shard-1", "--requirement", "R713-KM-SIG"]
    assert _entry({"JOB_COMPLETION_INDEX": "2", "SHARDS": "3"}).stdout.split()[3:8] == [
        "3/3", "--jobs", "1", "--out", "results/shard-3"]
    past = _entry({"JOB_COMPLETION_INDEX": "3", "SHARDS": "3"})
    assert past.returncode == 2 and "past the last of 3 shards" in past.stderr
    word = _entry({"JOB_COMPLETION_INDEX": "one", "SHARDS": "3"})
    assert word.returncode == 2 and "must be numbers" in word.stderr
    unset = _entry({"SHARDS": "3"})
    assert unset.returncode != 0 and "JOB_COMPLETION_INDEX is not set" in unset.stderr
