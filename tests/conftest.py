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


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _INTEGRATION in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_ROOT, ignore_errors=True)
