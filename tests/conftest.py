"""Test settings: a private DuckDB file and Dagster instance, and a small synthetic market with the
``strong`` profile (every planted effect detectable on 120 stocks; the default ``realistic`` one is not).

The environment is set before the tests build any definitions (``Settings.from_env`` reads it then).
"""

import os
import tempfile
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="momentum_tests_"))
os.environ["MOMENTUM_DUCKDB_PATH"] = str(_ROOT / "test.duckdb")
os.environ["MOMENTUM_REPORTS_DIR"] = str(_ROOT / "reports")
os.environ["DAGSTER_HOME"] = str(_ROOT / "dagster_home")
os.environ.setdefault("MOMENTUM_HISTORY_START", "2014-01-01")
os.environ["MOMENTUM_SIM_STOCKS"] = "120"
os.environ["MOMENTUM_SIM_INDUSTRIES"] = "8"
os.environ["MOMENTUM_SIM_PROFILE"] = "strong"
(_ROOT / "dagster_home").mkdir()
