"""Every knob of the pipeline in one place: the ``Settings`` Dagster resource.

One field, one ``MOMENTUM_<FIELD>`` environment variable, one default (the field's). ``Settings.from_env``
reads the environment when the definitions are built (never at import); the UI's launchpad shows every
field under ``resources.settings.config`` and a run may override any of them. Assets receive the resource
as their ``settings`` argument; ``core/`` never sees it (it takes explicit arguments).

Not a setting: ``MOMENTUM_DRILL_KILL_AT`` (:data:`momentum_dag.storage.DRILL_VARIABLE`), a fault-injection
hook that makes the process SIGKILL itself at a named point of a write, for the kill -9 drill only; it is read
where the write happens so that no launchpad or run config can ever set it.

Field prefixes group the pipeline's knobs: ``sim_`` the synthetic market, ``filter_`` the A-share
tradability filters at formation. The studies' parameters are nested config, one object per study, each
knob declared once in ``core/`` with its default and its source in the paper (:func:`study_config`):
``dmom`` directional momentum (:class:`~momentum_dag.core.stock.dmom.DmomParams`), ``crash``
Daniel-Moskowitz momentum crashes (:class:`~momentum_dag.core.crashes.study.CrashParams`), ``fm``
Ehsani-Linnainmaa factor momentum (:class:`~momentum_dag.core.factor_momentum.study.FactorMomentumParams`).
A nested knob keeps its variable, ``MOMENTUM_<STUDY>_<KNOB>`` (e.g. ``MOMENTUM_CRASH_N_DECILES`` is
``crash.n_deciles``), and shows in the launchpad under ``resources.settings.config.<study>``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster import Config, ConfigurableResource, InitResourceContext
from pydantic import Field, create_model

from momentum_dag.core.crashes.study import CrashParams
from momentum_dag.core.evaluation.costs import DEFAULT_COST_BPS
from momentum_dag.core.factor_momentum.study import FactorMomentumParams
from momentum_dag.core.stock.dmom import DmomParams

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


class StudyConfig(Config):
    """A study's parameters as nested Dagster config, derived from the study's parameter dataclass in
    ``core/`` (:func:`study_config`): each knob is declared once there, with its default and its doc."""

    PARAMS: typing.ClassVar[type] = object

    def params(self):
        """The study's parameter object, as ``core/`` takes it."""
        return self.PARAMS(**self.model_dump())


def study_config(params: type, name: str, **defaults) -> type[StudyConfig]:
    """A :class:`StudyConfig` whose fields are the dataclass ``params``' fields (a tuple becomes a list:
    Dagster config has no tuples), with their defaults (or the pipeline's, ``defaults``) and their ``doc``
    metadata as descriptions."""
    hints = typing.get_type_hints(params)
    fields = {}
    for knob in dataclasses.fields(params):
        kind, default = hints[knob.name], defaults.get(knob.name, knob.default)
        if typing.get_origin(kind) is tuple:
            kind, default = list[typing.get_args(kind)[0]], list(default)
        fields[knob.name] = (kind, Field(default=default, description=knob.metadata.get("doc")))
    config = create_model(name, __base__=StudyConfig, __module__=__name__, **fields)
    config.PARAMS = params
    return config


DmomConfig = study_config(DmomParams, "DmomConfig")
# The pipeline runs the Ken French branches on the papers' samples (core's own default: the whole series).
CrashConfig = study_config(CrashParams, "CrashConfig", kf_sample_start="1927-01", kf_sample_end="2013-03")
FactorMomentumConfig = study_config(
    FactorMomentumParams, "FactorMomentumConfig", kf_sample_start="1964-07", kf_sample_end="2019-12"
)


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

    # Kaiyuan (2020) amplitude-cut industry momentum: divide the low-amplitude days' log return by the std of
    # the last 20 daily log returns (Mom_raw / Vol_recent); False keeps the report's undivided sum.
    industry_amplitude_cut_vol_scale: bool = True

    # The studies' parameters, each declared once in core/ with its default and its source in the paper, as
    # nested config (launchpad: resources.settings.config.<study>.<knob>; env: MOMENTUM_<STUDY>_<KNOB>).
    dmom: DmomConfig = DmomConfig()
    crash: CrashConfig = CrashConfig()
    fm: FactorMomentumConfig = FactorMomentumConfig()

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
            if isinstance(field.annotation, type) and issubclass(field.annotation, StudyConfig):
                knobs = {}
                for knob, knob_field in field.annotation.model_fields.items():
                    raw = environ.get(f"MOMENTUM_{name.upper()}_{knob.upper()}")
                    if raw is not None:
                        knobs[knob] = _parse(f"{name}_{knob}", raw, knob_field.annotation)
                if knobs:
                    values[name] = field.annotation(**knobs)
                continue
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
        if self.dmom.scheme not in ("expanding", "rolling"):
            raise ValueError(f"MOMENTUM_DMOM_SCHEME must be 'expanding' or 'rolling', got {self.dmom.scheme!r}")
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
        for name in ("is_variance", "oos_variance"):
            if getattr(self.crash, name) not in VARIANCES:
                raise ValueError(
                    f"MOMENTUM_CRASH_{name.upper()} must be one of {VARIANCES}, got {getattr(self.crash, name)!r}"
                )
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
        if self.crash.breakpoints not in BREAKPOINTS:
            raise ValueError(f"MOMENTUM_CRASH_BREAKPOINTS must be one of {BREAKPOINTS}, got {self.crash.breakpoints!r}")
        if not 0 < self.crash.large_cap_share <= 1:
            raise ValueError(f"MOMENTUM_CRASH_LARGE_CAP_SHARE must be in (0, 1], got {self.crash.large_cap_share}")
        if self.crash.kf_var_window_months < 12:
            raise ValueError(
                "MOMENTUM_CRASH_KF_VAR_WINDOW_MONTHS must be >= 12 (the variance of fewer monthly returns collapses "
                f"when they are steady, and the strategies invert it), got {self.crash.kf_var_window_months}"
            )
        if not 0 <= self.cost_bps <= 1000:
            raise ValueError(f"MOMENTUM_COST_BPS must be in [0, 1000] basis points, got {self.cost_bps}")
        start, end = self.compare_bounds
        if start is not None and end is not None and start > end:
            raise ValueError(f"MOMENTUM_COMPARE_START ({start}) is after MOMENTUM_COMPARE_END ({end})")
        for study in (self.crash, self.fm):
            prefix = "CRASH" if study is self.crash else "FM"
            for name in ("kf_sample_start", "kf_sample_end"):
                value = getattr(study, name)
                if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
                    raise ValueError(f"MOMENTUM_{prefix}_{name.upper()} must be a month YYYY-MM, got {value!r}")
            if None not in (study.kf_sample_start, study.kf_sample_end) and study.kf_sample_start > study.kf_sample_end:
                raise ValueError(f"MOMENTUM_{prefix}_KF_SAMPLE_START must not be after MOMENTUM_{prefix}_KF_SAMPLE_END")
        if self.fm.xs_median_leg not in MEDIAN_LEGS:
            raise ValueError(f"MOMENTUM_FM_XS_MEDIAN_LEG must be one of {MEDIAN_LEGS}, got {self.fm.xs_median_leg!r}")
        if not 0 < self.fm.quantile < 0.5:
            raise ValueError(f"MOMENTUM_FM_QUANTILE must be in (0, 0.5), got {self.fm.quantile}")

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
