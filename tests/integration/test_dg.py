"""`dg` from the repo root ([tool.dg] in pyproject.toml): `dg check defs` loads the code location and
validates it, `dg list defs` lists the same assets, checks, jobs, schedules and sensors as the definitions
the CLI and `dagster dev` load (a [tool.dg] pointing at another module, or none, fails here)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from momentum_dag.runtime.definitions import build_definitions

REPO = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).parent / "dg"

pytestmark = pytest.mark.slow  # each command loads the whole code location in a new process (~15 s)


def _dg(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "VIRTUAL_ENV": str(Path(sys.executable).parents[1]),
        "MOMENTUM_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
    }
    return subprocess.run([str(DG), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_dg_check_defs_succeeds_from_the_repo_root(tmp_path):
    done = _dg(tmp_path, "check", "defs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully" in done.stdout + done.stderr


def test_dg_list_defs_lists_the_definitions_of_the_code_location(tmp_path):
    done = _dg(tmp_path, "list", "defs", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    assert {a["asset_key"] for a in listed["assets"]} == {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {j["name"] for j in listed["jobs"]} == {"monthly_job", "weekly_job"}
    assert {s["name"] for s in listed["schedules"]} == {s.name for s in defs.schedules}
    assert {s["name"] for s in listed["sensors"]} == {s.name for s in defs.sensors}
    assert len(listed["asset_checks"]) == len(list(graph.asset_check_keys))
