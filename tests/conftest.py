"""Test settings: a private DuckDB file and Dagster instance, and a small synthetic market with the
``strong`` profile (every planted effect detectable on 120 stocks; the default ``realistic`` one is not).

The environment is set before the tests build any definitions (``Settings.from_env`` reads it then). The
private folder is removed when the session ends. Tests under ``tests/integration/`` carry the
``integration`` mark (``-m "not integration"`` runs the rest).
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_ROOT = Path(tempfile.mkdtemp(prefix="momentum_tests_"))
os.environ["MOMENTUM_DUCKDB_PATH"] = str(_ROOT / "test.duckdb")
os.environ["MOMENTUM_REPORTS_DIR"] = str(_ROOT / "reports")
os.environ["DAGSTER_HOME"] = str(_ROOT / "dagster_home")
os.environ.setdefault("MOMENTUM_HISTORY_START", "2014-01-01")
os.environ["MOMENTUM_SIM_STOCKS"] = "120"
os.environ["MOMENTUM_SIM_INDUSTRIES"] = "8"
os.environ["MOMENTUM_SIM_PROFILE"] = "strong"
(_ROOT / "dagster_home").mkdir()

_INTEGRATION = Path(__file__).parent / "integration"


# The files that take minutes, costliest first (`--durations` of a full run). With `--dist loadfile
# --no-loadscope-reorder`, xdist hands out files in collection order, so starting these first keeps both
# workers busy to the end instead of leaving one file running alone for minutes after the other finishes.
_HEAVY_FIRST = [
    "integration/test_scale_out.py",
    "integration/test_monthly_operation.py",
    "integration/test_ui_browser.py",
    "integration/factors/test_significance.py",
    "integration/test_lake_drills.py",
    "integration/crashes/test_assets.py",
    "integration/test_kill_drill.py",
    "integration/test_many_writers.py",
]


def _cost_rank(item) -> int:
    path = Path(str(item.path))
    here = Path(__file__).parent
    name = path.relative_to(here).as_posix() if here in path.parents else ""
    return _HEAVY_FIRST.index(name) if name in _HEAVY_FIRST else len(_HEAVY_FIRST)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _INTEGRATION in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
    items.sort(key=_cost_rank)  # stable: the other files keep their order


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_ROOT, ignore_errors=True)
