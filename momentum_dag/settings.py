"""Every knob of the pipeline in one place, read from ``MOMENTUM_*`` environment variables.

Change a setting by exporting the variable before starting Dagster (``dagster dev``, the CLI or the
tests). Nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

DATA_SOURCES = ("synthetic", "files", "baostock")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"MOMENTUM_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name, "1" if default else "0").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"MOMENTUM_{name} must be a boolean (1/0, true/false, on/off), got {raw!r}")


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"MOMENTUM_{name} must be an integer, got {raw!r}") from None


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"MOMENTUM_{name} must be a number, got {raw!r}") from None


def _env_date(name: str, default: str) -> date:
    raw = _env(name, default)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"MOMENTUM_{name} must be an ISO date YYYY-MM-DD, got {raw!r}") from None


@dataclass(frozen=True)
class TradabilityFilters:
    """A-share tradability filters applied at formation in evaluation (DESIGN section 8)."""

    exclude_suspended: bool = True
    exclude_st: bool = True
    min_listed_days: int = 60
    exclude_limit_up: bool = True


@dataclass(frozen=True)
class Settings:
    """Pipeline configuration. Build with :meth:`from_env`; every field has a ``MOMENTUM_*`` variable."""

    duckdb_path: Path = Path("data/momentum.duckdb")
    reports_dir: Path = Path("data/reports")
    data_source: str = "synthetic"
    files_dir: Path | None = None
    kenfrench_dir: Path | None = None
    history_start: date = date(2014, 1, 1)
    sim_stocks: int = 1000
    sim_industries: int = 31
    sim_seed: int = 20140101
    sim_effects: bool = True
    sim_effect_scale: float = 1.0
    lock_timeout_seconds: int = 120
    filters: TradabilityFilters = field(default_factory=TradabilityFilters)
    dmom_scheme: str = "expanding"
    dmom_min_months: int = 60
    dmom_rolling_window: int = 60
    raw_force: bool = False
    baostock_cache_dir: Path | None = None
    baostock_index: str = "sh.000300"
    baostock_rf_annual: float | None = None
    baostock_retries: int = 5

    @property
    def baostock_cache(self) -> Path:
        """``MOMENTUM_BAOSTOCK_CACHE_DIR``, else ``baostock_cache`` beside the DuckDB file."""
        return self.baostock_cache_dir or self.duckdb_path.parent / "baostock_cache"

    @classmethod
    def from_env(cls) -> Settings:
        files_dir = _env("FILES_DIR", "")
        kenfrench_dir = _env("KENFRENCH_DIR", "")
        baostock_cache_dir = _env("BAOSTOCK_CACHE_DIR", "")
        baostock_rf = _env("BAOSTOCK_RF_ANNUAL", "")
        settings = cls(
            duckdb_path=Path(_env("DUCKDB_PATH", "data/momentum.duckdb")),
            reports_dir=Path(_env("REPORTS_DIR", "data/reports")),
            data_source=_env("DATA_SOURCE", "synthetic"),
            files_dir=Path(files_dir) if files_dir else None,
            kenfrench_dir=Path(kenfrench_dir) if kenfrench_dir else None,
            history_start=_env_date("HISTORY_START", "2014-01-01"),
            sim_stocks=_env_int("SIM_STOCKS", 1000),
            sim_industries=_env_int("SIM_INDUSTRIES", 31),
            sim_seed=_env_int("SIM_SEED", 20140101),
            sim_effects=_env_bool("SIM_EFFECTS", True),
            sim_effect_scale=_env_float("SIM_EFFECT_SCALE", 1.0),
            lock_timeout_seconds=_env_int("LOCK_TIMEOUT_SECONDS", 120),
            filters=TradabilityFilters(
                exclude_suspended=_env_bool("FILTER_SUSPENDED", True),
                exclude_st=_env_bool("FILTER_ST", True),
                min_listed_days=_env_int("FILTER_MIN_LISTED_DAYS", 60),
                exclude_limit_up=_env_bool("FILTER_LIMIT_UP", True),
            ),
            dmom_scheme=_env("DMOM_SCHEME", "expanding"),
            dmom_min_months=_env_int("DMOM_MIN_MONTHS", 60),
            dmom_rolling_window=_env_int("DMOM_ROLLING_WINDOW", 60),
            raw_force=_env_bool("RAW_FORCE", False),
            baostock_cache_dir=Path(baostock_cache_dir) if baostock_cache_dir else None,
            baostock_index=_env("BAOSTOCK_INDEX", "sh.000300").strip().lower(),
            baostock_rf_annual=_env_float("BAOSTOCK_RF_ANNUAL", 0.0) if baostock_rf.strip() else None,
            baostock_retries=_env_int("BAOSTOCK_RETRIES", 5),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Reject inconsistent settings with a message naming the variable to fix."""
        if self.data_source not in DATA_SOURCES:
            raise ValueError(f"MOMENTUM_DATA_SOURCE must be one of {DATA_SOURCES}, got {self.data_source!r}")
        if self.data_source == "files" and self.files_dir is None:
            raise ValueError("MOMENTUM_DATA_SOURCE=files needs MOMENTUM_FILES_DIR (a folder of CSV/Parquet files)")
        if self.dmom_scheme not in ("expanding", "rolling"):
            raise ValueError(f"MOMENTUM_DMOM_SCHEME must be 'expanding' or 'rolling', got {self.dmom_scheme!r}")
        if not 0 <= self.sim_effect_scale < 100:
            raise ValueError(f"MOMENTUM_SIM_EFFECT_SCALE must be in [0, 100), got {self.sim_effect_scale}")
        if self.sim_stocks < 50 or self.sim_industries < 2:
            raise ValueError("MOMENTUM_SIM_STOCKS must be >= 50 and MOMENTUM_SIM_INDUSTRIES >= 2")
        if not re.fullmatch(r"(sh|sz)\.\d{6}", self.baostock_index):
            raise ValueError(
                f"MOMENTUM_BAOSTOCK_INDEX must be a baostock index code like sh.000300, got {self.baostock_index!r}"
            )
        if self.baostock_rf_annual is not None and not -0.05 <= self.baostock_rf_annual <= 0.5:
            raise ValueError(
                "MOMENTUM_BAOSTOCK_RF_ANNUAL must be an annual rate in decimals in [-0.05, 0.5] "
                f"(e.g. 0.015), got {self.baostock_rf_annual}"
            )
        if not 0 <= self.baostock_retries <= 20:
            raise ValueError(f"MOMENTUM_BAOSTOCK_RETRIES must be in [0, 20], got {self.baostock_retries}")
        if self.history_start.day != 1:
            raise ValueError(f"MOMENTUM_HISTORY_START must be the first day of a month, got {self.history_start}")


def get_settings() -> Settings:
    """Settings as the environment says now (not cached, so tests can change the environment)."""
    return Settings.from_env()
