"""Every knob of the pipeline in one place: the ``Settings`` Dagster resource.

One field, one ``MOMENTUM_<FIELD>`` environment variable, one default (the field's). ``Settings.from_env``
reads the environment when the definitions are built (never at import); the UI's launchpad shows every
field under ``resources.settings.config`` and a run may override any of them. Assets receive the resource
as their ``settings`` argument; ``core/`` never sees it (it takes explicit arguments).

Not a setting: ``MOMENTUM_DRILL_KILL_AT`` (:data:`momentum_dag.storage.DRILL_VARIABLE`), a fault-injection
hook that makes the process SIGKILL itself at a named point of a write, for the kill -9 drill only; it is read
where the write happens so that no launchpad or run config can ever set it.

Field prefixes group the studies: ``sim_`` the synthetic market, ``filter_`` the A-share tradability
filters at formation, ``dmom_`` directional momentum, ``crash_`` Daniel-Moskowitz momentum crashes,
``fm_`` Ehsani-Linnainmaa factor momentum.
"""

from __future__ import annotations

import os
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from pydantic import create_model

from momentum_dag.core.evaluation.costs import DEFAULT_COST_BPS

DATA_SOURCES = ("synthetic", "files", "baostock")
VARIANCES = ("rv_var", "garch_var", "blend_var")
BREAKPOINTS = ("all", "nyse_like")
SIM_PROFILES = ("realistic", "strong", "null")
WAREHOUSES = ("duckdb", "ducklake")
EXECUTORS = ("in_process", "multiprocess", "dask")
MEDIAN_LEGS = ("long", "short", "out")


@dataclass(frozen=True)
class TradabilityFilters:
    """A-share tradability filters at formation: who may enter a portfolio (True = exclude)."""

    suspended: bool
    st: bool
    limit_up: bool
    min_listed_days: int


class Settings(ConfigurableResource):
    """Pipeline configuration. Build with :meth:`from_env`; each field has a ``MOMENTUM_*`` variable."""

    duckdb_path: str = "data/momentum.duckdb"
    reports_dir: str = "data/reports"
    lock_timeout_seconds: int = 120
    # DuckDB's memory budget: it caches the blocks it reads and writes up to this and spills to a temp
    # folder beside the file past it. DuckDB's own default (80% of RAM) kept a 20-year, 5,000-stock
    # backfill's process at 9.6 GB of cached blocks; 2 GB made its SQL marts no slower.
    duckdb_memory_limit: str = "2GB"
    # A long backfill computes its range in chunks of this many months (each with its own lookback), so
    # peak memory is set by the market's width, not by the range.
    chunk_months: int = 24
    # Dagster's SQLite run history commits without fsync (see momentum_dag/runtime/bookkeeping.py).
    dagster_fast_commits: bool = True

    # Scale out (README, "Scale out"): the warehouse backend, "duckdb" (the one file above) or "ducklake"
    # (catalog "sqlite:<file>" or "postgres:<libpq string>", data in a folder or under "s3://bucket/prefix";
    # both default to beside the DuckDB file). S3: endpoint (host:port of an S3-compatible server), region,
    # URL style and SSL here; the key and secret only in MOMENTUM_S3_KEY_ID / MOMENTUM_S3_SECRET (read when
    # a run starts, never stored or shown). Compaction keeps DuckLake snapshots (and unreferenced files) for
    # ducklake_keep_hours. The executor: "in_process", "multiprocess" (executor_workers processes, default
    # the cores) or "dask" (the dask.distributed scheduler at dask_address); the parallel ones need ducklake.
    warehouse: str = "duckdb"
    ducklake_catalog: str | None = None
    ducklake_data_path: str | None = None
    ducklake_keep_hours: float = 24.0
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_url_style: str = "path"
    s3_use_ssl: bool = True
    executor: str = "in_process"
    executor_workers: int | None = None
    dask_address: str | None = None
    data_source: str = "synthetic"
    files_dir: str | None = None
    kenfrench_dir: str | None = None
    # The published figures the pages show beside ours (None: momentum_dag/reports/published.yaml).
    published_figures: str | None = None
    history_start: str = "2014-01-01"

    sim_stocks: int = 1000
    sim_industries: int = 31
    sim_seed: int = 20140101
    # The synthetic market's profile: "realistic" (default: headline figures near published A-share ones),
    # "strong" (every effect detectable on a small market: the tests' profile) or "null" (every effect off);
    # sim_effect_scale multiplies the profile's predictive effects.
    sim_profile: str = "realistic"
    sim_effect_scale: float = 1.0

    # The raw layer refuses to replace a window by markedly fewer rows (a partial download, an outage)
    # unless forced.
    raw_force: bool = False

    # baostock provider: response cache (default: ``baostock_cache`` beside the DuckDB file), the index used
    # as the market (CSI 300 by default), a constant annual risk-free rate (None: the one-year deposit rate),
    # retries on network errors.
    baostock_cache_dir: str | None = None
    baostock_index: str = "sh.000300"
    baostock_rf_annual: float | None = None
    baostock_retries: int = 5

    # Evaluation: cost of one unit of long-short turnover (sum of absolute weight changes of both legs) in
    # basis points, for the net-of-cost returns and Sharpe ratios (core/evaluation/costs.py). Cross-factor
    # comparisons (the index, the comparison page) use one common sample: by default the longest period every
    # compared factor covers; compare_start / compare_end (YYYY-MM or YYYY-MM-DD) narrow or set it.
    cost_bps: float = DEFAULT_COST_BPS
    compare_start: str | None = None
    compare_end: str | None = None

    filter_suspended: bool = True
    filter_st: bool = True
    filter_limit_up: bool = True
    filter_min_listed_days: int = 60

    # Del Viva, Sala & Souza (2024): pooled LPM re-estimated each month on an expanding (or rolling) window
    # that starts forecasting after dmom_min_months months of training data.
    dmom_scheme: str = "expanding"
    dmom_min_months: int = 60
    dmom_rolling_window: int = 60

    # Kaiyuan (2020) amplitude-cut industry momentum: divide the low-amplitude days' log return by the std of
    # the last 20 daily log returns (Mom_raw / Vol_recent); False keeps the report's undivided sum.
    industry_amplitude_cut_vol_scale: bool = True

    # Daniel & Moskowitz (2016): deciles and the >= 8 valid months of t-12..t-2 (Sec. 2); lagged betas over
    # 126 days with 10 lags (Sec. 3.1); daily GJR-GARCH refit each month on >= 252 days, 22-day horizon,
    # 126-day realized variance and their blend (App. D; 36 month pairs before the blend is used); the
    # expanding mean regression needs 36 months before the out-of-sample dynamic strategy starts; every
    # strategy is scaled ex post to 19% a year (Fig. 5). The out-of-sample dynamic strategy changes only the
    # mean forecast (rolling coefficients, Fig. 7), so it uses the in-sample variance forecast (the blend) by
    # default; rv_var (126-day realized) is an option. The Ken French branch runs on the paper's sample
    # (crash_kf_sample_start..end, clipped to the data; earlier data still feed the state and variances). The Ken
    # French branch runs the same daily method on French's daily files; with monthly data only, every variance
    # comes from a window of kf_var_window_months (>= 12: a 6-month variance collapses when returns are steady)
    # and the GJR-GARCH is fitted to monthly returns (>= kf_garch_min_months).
    # WML breakpoints: "all" stocks (D&M) or "nyse_like", the largest crash_large_cap_share of stocks by cap
    # standing in for NYSE stocks (Ken French's deciles); deciles hold only stocks that pass the filter_*
    # tradability filters at formation, the same as the factor evaluation.
    crash_breakpoints: str = "all"
    crash_large_cap_share: float = 0.3
    crash_n_deciles: int = 10
    crash_min_valid_months: int = 8
    crash_beta_window: int = 126
    crash_beta_lags: int = 10
    crash_garch_min_days: int = 252
    crash_garch_refit_every: int = 1
    crash_garch_horizon: int = 22
    crash_rv_window_days: int = 126
    crash_blend_min_pairs: int = 36
    crash_oos_min_months: int = 36
    crash_target_vol: float = 0.19
    crash_is_variance: str = "blend_var"
    crash_oos_variance: str = "blend_var"
    crash_kf_garch_min_months: int = 120
    crash_kf_garch_refit_every: int = 1
    crash_kf_var_window_months: int = 12
    crash_kf_sample_start: str = "1927-01"
    crash_kf_sample_end: str = "2013-03"

    # Ehsani & Linnainmaa (2022): MA over months t-11..t with no skip month (Stata tssmooth ma, window(12));
    # Fama-French 30/70 value-weighted long-short legs; the factor sources entering the strategies; history
    # before the first PC formation; OLS t-values (None) or Newey-West lags; characteristic windows.
    fm_lookback: int = 12
    fm_min_obs: int = 12
    fm_quantile: float = 0.3
    fm_value_weighted: bool = True
    fm_strategy_sources: list[str] = ["barra", "characteristic"]
    fm_pc_min_days: int = 252
    fm_pc_min_months: int = 36
    fm_hac_lags: int | None = None
    fm_beta_days: int = 252
    fm_beta_min_days: int = 120
    fm_turnover_days: int = 21
    fm_turnover_min_days: int = 10
    # The Ken French branch's sample of holding months (E-L: 1964-07..2019-12), clipped to the data; and the
    # leg of the median factor in cross-sectional factor momentum when the number of factors is odd:
    # "long" (E-L's replication code: ties -> +1), "short", or "out" (held by neither leg).
    fm_kf_sample_start: str = "1964-07"
    fm_kf_sample_end: str = "2019-12"
    fm_xs_median_leg: str = "long"

    @classmethod
    def from_env(cls, environ: typing.Mapping[str, str] | None = None) -> Settings:
        """Settings from ``MOMENTUM_*`` variables (unset: the field default), checked.

        The returned resource's field DEFAULTS are the environment's values: Dagster fills fields a run's
        config leaves out from the field defaults (not from the instance), so overriding one knob in the
        launchpad keeps every other knob as the environment set it.
        """
        environ = os.environ if environ is None else environ
        values = {}
        for name, field in cls.model_fields.items():
            raw = environ.get(f"MOMENTUM_{name.upper()}")
            if raw is not None:
                values[name] = _parse(name, raw, field.annotation)
        configured = create_model(
            cls.__name__,
            __base__=cls,
            __module__=cls.__module__,
            **{name: (cls.model_fields[name].annotation, value) for name, value in values.items()},
        )
        settings = configured()
        settings.check()
        return settings

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self.check()  # a launchpad override is checked like the environment
        # a run's first resource: a UI re-execution of a CLI run takes its own launched_by tag here
        from momentum_dag.runtime.jobs import retag_reexecution

        retag_reexecution(context.instance, context.dagster_run)

    def check(self) -> None:
        """Reject inconsistent settings with a message naming the variable to fix."""
        if self.data_source not in DATA_SOURCES:
            raise ValueError(f"MOMENTUM_DATA_SOURCE must be one of {DATA_SOURCES}, got {self.data_source!r}")
        if self.data_source == "files" and not self.files_dir:
            raise ValueError("MOMENTUM_DATA_SOURCE=files needs MOMENTUM_FILES_DIR (a folder of CSV/Parquet files)")
        if self.dmom_scheme not in ("expanding", "rolling"):
            raise ValueError(f"MOMENTUM_DMOM_SCHEME must be 'expanding' or 'rolling', got {self.dmom_scheme!r}")
        if self.sim_profile not in SIM_PROFILES:
            raise ValueError(f"MOMENTUM_SIM_PROFILE must be one of {SIM_PROFILES}, got {self.sim_profile!r}")
        if not 0 <= self.sim_effect_scale < 100:
            raise ValueError(f"MOMENTUM_SIM_EFFECT_SCALE must be in [0, 100), got {self.sim_effect_scale}")
        if self.sim_stocks < 50 or self.sim_industries < 2:
            raise ValueError("MOMENTUM_SIM_STOCKS must be >= 50 and MOMENTUM_SIM_INDUSTRIES >= 2")
        try:
            start = date.fromisoformat(self.history_start)
        except ValueError:
            raise ValueError(
                f"MOMENTUM_HISTORY_START must be an ISO date YYYY-MM-DD, got {self.history_start!r}"
            ) from None
        if start.day != 1:
            raise ValueError(f"MOMENTUM_HISTORY_START must be the first day of a month, got {start}")
        for name in ("crash_is_variance", "crash_oos_variance"):
            if getattr(self, name) not in VARIANCES:
                raise ValueError(f"MOMENTUM_{name.upper()} must be one of {VARIANCES}, got {getattr(self, name)!r}")
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
        if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", self.duckdb_memory_limit, re.IGNORECASE):
            raise ValueError(
                f"MOMENTUM_DUCKDB_MEMORY_LIMIT must be a size like 2GB or 512MB, got {self.duckdb_memory_limit!r}"
            )
        self.check_scale_out()
        if self.chunk_months < 1:
            raise ValueError(f"MOMENTUM_CHUNK_MONTHS must be >= 1, got {self.chunk_months}")
        if self.crash_breakpoints not in BREAKPOINTS:
            raise ValueError(f"MOMENTUM_CRASH_BREAKPOINTS must be one of {BREAKPOINTS}, got {self.crash_breakpoints!r}")
        if not 0 < self.crash_large_cap_share <= 1:
            raise ValueError(f"MOMENTUM_CRASH_LARGE_CAP_SHARE must be in (0, 1], got {self.crash_large_cap_share}")
        if self.crash_kf_var_window_months < 12:
            raise ValueError(
                "MOMENTUM_CRASH_KF_VAR_WINDOW_MONTHS must be >= 12 (the variance of fewer monthly returns collapses "
                f"when they are steady, and the strategies invert it), got {self.crash_kf_var_window_months}"
            )
        if not 0 <= self.cost_bps <= 1000:
            raise ValueError(f"MOMENTUM_COST_BPS must be in [0, 1000] basis points, got {self.cost_bps}")
        start, end = self.compare_bounds
        if start is not None and end is not None and start > end:
            raise ValueError(f"MOMENTUM_COMPARE_START ({start}) is after MOMENTUM_COMPARE_END ({end})")
        for name in ("crash_kf_sample_start", "crash_kf_sample_end", "fm_kf_sample_start", "fm_kf_sample_end"):
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", getattr(self, name)):
                raise ValueError(f"MOMENTUM_{name.upper()} must be a month YYYY-MM, got {getattr(self, name)!r}")
        if self.crash_kf_sample_start > self.crash_kf_sample_end or self.fm_kf_sample_start > self.fm_kf_sample_end:
            raise ValueError("MOMENTUM_*_KF_SAMPLE_START must not be after MOMENTUM_*_KF_SAMPLE_END")
        if self.fm_xs_median_leg not in MEDIAN_LEGS:
            raise ValueError(f"MOMENTUM_FM_XS_MEDIAN_LEG must be one of {MEDIAN_LEGS}, got {self.fm_xs_median_leg!r}")
        if not 0 < self.fm_quantile < 0.5:
            raise ValueError(f"MOMENTUM_FM_QUANTILE must be in (0, 0.5), got {self.fm_quantile}")

    def check_scale_out(self) -> None:
        """The backend and the executor: known names, and no parallel executor on the one-writer DuckDB file."""
        if self.warehouse not in WAREHOUSES:
            raise ValueError(f"MOMENTUM_WAREHOUSE must be one of {WAREHOUSES}, got {self.warehouse!r}")
        if self.executor not in EXECUTORS:
            raise ValueError(f"MOMENTUM_EXECUTOR must be one of {EXECUTORS}, got {self.executor!r}")
        if self.executor != "in_process" and self.warehouse != "ducklake":
            raise ValueError(
                f"MOMENTUM_EXECUTOR={self.executor} runs steps in parallel processes, and a DuckDB file admits one "
                "writing process at a time (and no reader beside it): the steps would wait for each other's locks "
                "or fail. Use MOMENTUM_WAREHOUSE=ducklake with it (README, 'Scale out'), or "
                "MOMENTUM_EXECUTOR=in_process."
            )
        if self.executor == "dask" and not self.dask_address:
            raise ValueError("MOMENTUM_EXECUTOR=dask needs MOMENTUM_DASK_ADDRESS (e.g. tcp://scheduler:8786)")
        if self.executor_workers is not None and self.executor_workers < 1:
            raise ValueError(f"MOMENTUM_EXECUTOR_WORKERS must be >= 1, got {self.executor_workers}")
        catalog = self.lake_catalog
        if self.warehouse == "ducklake" and not re.match(r"(sqlite|postgres):.", catalog):
            raise ValueError(
                f"MOMENTUM_DUCKLAKE_CATALOG must be sqlite:<catalog file> or postgres:<libpq string>, got {catalog!r}"
            )
        if self.s3_url_style not in ("path", "vhost"):
            raise ValueError(f"MOMENTUM_S3_URL_STYLE must be path or vhost, got {self.s3_url_style!r}")
        if self.ducklake_keep_hours < 0:
            raise ValueError(f"MOMENTUM_DUCKLAKE_KEEP_HOURS must be >= 0, got {self.ducklake_keep_hours}")

    # ---- typed views --------------------------------------------------------------------------------

    @property
    def compare_bounds(self) -> tuple[date | None, date | None]:
        """The common sample's user bounds: first day of compare_start's month, last of compare_end's."""
        return _month_bound("compare_start", self.compare_start, first=True), _month_bound(
            "compare_end", self.compare_end, first=False
        )

    @property
    def history_start_date(self) -> date:
        return date.fromisoformat(self.history_start)

    @property
    def warehouse_file(self) -> Path:
        return Path(self.duckdb_path)

    @property
    def lake_catalog(self) -> str:
        """``MOMENTUM_DUCKLAKE_CATALOG``, else a SQLite catalog beside the DuckDB file."""
        return self.ducklake_catalog or f"sqlite:{self.warehouse_file.parent / 'momentum_lake.sqlite'}"

    @property
    def lake_data_path(self) -> str:
        """``MOMENTUM_DUCKLAKE_DATA_PATH``, else a folder beside the DuckDB file."""
        return self.ducklake_data_path or str(self.warehouse_file.parent / "momentum_lake_files")

    @property
    def executor_processes(self) -> int:
        """``MOMENTUM_EXECUTOR_WORKERS``, else the machine's cores."""
        return self.executor_workers or os.cpu_count() or 1

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)

    @property
    def files_path(self) -> Path | None:
        return Path(self.files_dir) if self.files_dir else None

    @property
    def kenfrench_path(self) -> Path | None:
        return Path(self.kenfrench_dir) if self.kenfrench_dir else None

    @property
    def baostock_cache(self) -> Path:
        """``MOMENTUM_BAOSTOCK_CACHE_DIR``, else ``baostock_cache`` beside the DuckDB file."""
        if self.baostock_cache_dir:
            return Path(self.baostock_cache_dir)
        return self.warehouse_file.parent / "baostock_cache"

    @property
    def filters(self) -> TradabilityFilters:
        return TradabilityFilters(
            suspended=self.filter_suspended,
            st=self.filter_st,
            limit_up=self.filter_limit_up,
            min_listed_days=self.filter_min_listed_days,
        )

    def group(self, prefix: str) -> dict[str, object]:
        """The fields named ``<prefix>_*`` without the prefix, e.g. ``group("crash")`` -> ``{"n_deciles": 10,
        ...}``: the keyword arguments of a study's parameter object (``core.crashes.study.CrashParams``)."""
        head = f"{prefix}_"
        return {name[len(head) :]: getattr(self, name) for name in type(self).model_fields if name.startswith(head)}


def _month_bound(name: str, value: str | None, *, first: bool) -> date | None:
    """``YYYY-MM`` (its first or last day) or ``YYYY-MM-DD`` as a date; None when unset."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            day = date.fromisoformat(f"{text}-01")
            if first:
                return day
            following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            return date.fromordinal(following.toordinal() - 1)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"MOMENTUM_{name.upper()} must be YYYY-MM or YYYY-MM-DD, got {value!r}") from None


def _parse(name: str, raw: str, annotation) -> object:
    """``raw`` (an environment value) as the field's type; errors name the variable."""
    variable = f"MOMENTUM_{name.upper()}"
    kind = annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        if raw.strip() == "":
            return None
        kind = next(a for a in typing.get_args(annotation) if a is not type(None))
    if kind is bool:
        value = raw.strip().lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"{variable} must be a boolean (1/0, true/false, on/off), got {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{variable} must be an integer, got {raw!r}") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{variable} must be a number, got {raw!r}") from None
    if typing.get_origin(kind) is list:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw
