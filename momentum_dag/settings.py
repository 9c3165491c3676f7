"""Every knob of the pipeline in one place: the ``Settings`` Dagster resource, one nested config object a
group of knobs.

Each knob is declared once, in its group's class below (or, for a study, in its parameter dataclass in
``core/``), with its default and its description; the UI's launchpad shows it under
``resources.settings.config.<group>.<knob>`` and a run may override any of them. Its environment variable is
``MOMENTUM_<PREFIX><KNOB>``, the group's ``ENV_PREFIX`` then the knob (``storage.duckdb_path`` is
``MOMENTUM_DUCKDB_PATH``, ``sim.stocks`` is ``MOMENTUM_SIM_STOCKS``, ``crash.n_deciles`` is
``MOMENTUM_CRASH_N_DECILES``). ``Settings.from_env`` reads the environment when the definitions are built
(never at import). Assets receive the resource as their ``settings`` argument; ``core/`` never sees it (it
takes explicit arguments), and a registry factor's compute receives only its own group.

The groups: ``storage`` where the tables live (the DuckDB file or DuckLake, S3, the reports folder),
``run`` how a run executes (chunks, executor), ``source`` the data source and its readers, ``sim`` the
synthetic market, ``evaluation`` costs, the comparison sample and the A-share tradability filters,
``industry`` industry-factor options, and one per study: ``dmom`` directional momentum
(:class:`~momentum_dag.core.stock.dmom.DmomParams`), ``crash`` Daniel-Moskowitz momentum crashes
(:class:`~momentum_dag.core.crashes.study.CrashParams`), ``fm`` Ehsani-Linnainmaa factor momentum
(:class:`~momentum_dag.core.factor_momentum.study.FactorMomentumParams`).

Not a setting: ``MOMENTUM_DRILL_KILL_AT`` (:data:`momentum_dag.storage.DRILL_VARIABLE`), a fault-injection
hook that makes the process SIGKILL itself at a named point of a write, for the kill -9 drill only; it is read
where the write happens so that no launchpad or run config can ever set it. Nor are the S3 credentials
(``MOMENTUM_S3_KEY_ID`` / ``MOMENTUM_S3_SECRET``): read when a run starts, never stored or shown.
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


class Group(Config):
    """A group of knobs as nested Dagster config. A knob's environment variable is
    ``MOMENTUM_<ENV_PREFIX><KNOB>`` (:meth:`variable`)."""

    ENV_PREFIX: typing.ClassVar[str] = ""

    @classmethod
    def variable(cls, knob: str) -> str:
        return f"MOMENTUM_{cls.ENV_PREFIX}{knob.upper()}"


def knob(default, doc: str):
    """A knob: its default and its description (the launchpad shows it)."""
    return Field(default=default, description=doc)


class StorageConfig(Group):
    """Where the tables live: the DuckDB file, or DuckLake (README, "Scale out"), and the reports folder."""

    duckdb_path: str = knob("data/momentum.duckdb", "The warehouse file (DuckDB backend).")
    reports_dir: str = knob("data/reports", "Where the HTML reports are written.")
    lock_timeout_seconds: int = knob(
        120, "How long a run waits, per connection, for another process to release the DuckDB file."
    )
    # DuckDB's own default (80% of RAM) kept a 20-year, 5,000-stock backfill's process at 9.6 GB of cached
    # blocks; 2 GB made its SQL marts no slower.
    duckdb_memory_limit: str = knob(
        "2GB",
        "DuckDB's memory budget: it caches the blocks it reads and writes up to this and spills to a temp "
        "folder beside the file past it.",
    )
    warehouse: str = knob("duckdb", "The backend: duckdb (the one file) or ducklake.")
    ducklake_catalog: str | None = knob(
        None, "DuckLake catalog: sqlite:<file> or postgres:<libpq string>; unset: a SQLite file beside the DuckDB file."
    )
    ducklake_data_path: str | None = knob(
        None, "DuckLake data: a folder or s3://bucket/prefix; unset: a folder beside the DuckDB file."
    )
    ducklake_keep_hours: float = knob(
        24.0, "Compaction keeps DuckLake snapshots, and files no snapshot needs any more, this long."
    )
    s3_endpoint: str | None = knob(None, "host:port of an S3-compatible server (unset: AWS).")
    s3_region: str | None = knob(None, "S3 region.")
    s3_url_style: str = knob("path", "S3 URL style: path or vhost.")
    s3_use_ssl: bool = knob(True, "Whether S3 is reached over SSL.")

    @property
    def lake_catalog(self) -> str:
        """``MOMENTUM_DUCKLAKE_CATALOG``, else a SQLite catalog beside the DuckDB file."""
        return self.ducklake_catalog or f"sqlite:{Path(self.duckdb_path).parent / 'momentum_lake.sqlite'}"

    @property
    def lake_data_path(self) -> str:
        """``MOMENTUM_DUCKLAKE_DATA_PATH``, else a folder beside the DuckDB file."""
        return self.ducklake_data_path or str(Path(self.duckdb_path).parent / "momentum_lake_files")


class RunConfig(Group):
    """How a run executes: its chunks, its executor, Dagster's run history."""

    chunk_months: int = knob(
        24,
        "A long backfill computes its range in chunks of this many months (each with its own lookback), so "
        "peak memory is set by the market's width, not by the range.",
    )
    executor: str = knob(
        "in_process",
        "in_process, multiprocess (executor_workers processes) or dask (the scheduler at dask_address); "
        "the parallel ones need the ducklake warehouse.",
    )
    executor_workers: int | None = knob(None, "Processes of the multiprocess executor (unset: the cores).")
    chunk_threads: int | None = knob(
        None,
        "Chunks of a long backfill's step computed at once, in threads (unset: 2 with the in_process executor "
        "on a machine with 2 or more cores, 1 with multiprocess and dask, whose steps already share the cores). "
        "Each chunk in flight holds its own panels: 1 halves a backfill's peak memory in the big steps.",
    )
    dask_address: str | None = knob(None, "The dask.distributed scheduler, e.g. tcp://scheduler:8786.")
    dagster_fast_commits: bool = knob(
        True, "Dagster's SQLite run history commits without fsync (momentum_dag/runtime/bookkeeping.py)."
    )


class SourceConfig(Group):
    """Where the data come from: the source and its readers, the history's start."""

    data_source: str = knob("synthetic", "synthetic, files or baostock.")
    files_dir: str | None = knob(None, "Folder of CSV/Parquet files for the files source.")
    kenfrench_dir: str | None = knob(
        None, "Folder of Ken French library CSV files (unset: the monthly sample shipped by linearmodels)."
    )
    published_figures: str | None = knob(
        None, "The published figures the pages show beside ours (unset: momentum_dag/reports/published.yaml)."
    )
    history_start: str = knob("2014-01-01", "The first monthly partition (YYYY-MM-01).")
    raw_force: bool = knob(
        False, "Let the raw layer replace a window by markedly fewer rows (a partial download, an outage)."
    )
    baostock_cache_dir: str | None = knob(
        None, "baostock's response cache (unset: baostock_cache beside the DuckDB file)."
    )
    baostock_index: str = knob("sh.000300", "The baostock index used as the market (CSI 300 by default).")
    baostock_rf_annual: float | None = knob(
        None, "A constant annual risk-free rate in decimals (unset: the one-year deposit rate)."
    )
    baostock_retries: int = knob(5, "Retries per baostock call on network errors (exponential backoff from 1 s).")

    @property
    def history_start_date(self) -> date:
        return date.fromisoformat(self.history_start)

    @property
    def files_path(self) -> Path | None:
        return Path(self.files_dir) if self.files_dir else None

    @property
    def kenfrench_path(self) -> Path | None:
        return Path(self.kenfrench_dir) if self.kenfrench_dir else None


class SimConfig(Group):
    """The synthetic market."""

    ENV_PREFIX: typing.ClassVar[str] = "SIM_"

    stocks: int = knob(1000, "Stocks in the synthetic market (>= 50).")
    industries: int = knob(31, "Industries in the synthetic market (>= 2).")
    seed: int = knob(20140101, "The synthetic market's seed.")
    profile: str = knob(
        "realistic",
        "realistic (headline figures near published A-share ones), strong (every effect detectable on a small "
        "market: the tests' profile) or null (every effect off).",
    )
    effect_scale: float = knob(1.0, "Multiplies the profile's predictive effects.")


class EvaluationConfig(Group):
    """Factor evaluation: costs, the common comparison sample, the A-share tradability filters at formation
    (for the factor evaluation and the WML deciles alike)."""

    cost_bps: float = knob(
        DEFAULT_COST_BPS,
        "Cost of one unit of long-short turnover (sum of absolute weight changes of both legs) in basis points, "
        "for the net-of-cost returns and Sharpe ratios.",
    )
    compare_start: str | None = knob(
        None,
        "Start (YYYY-MM or YYYY-MM-DD) of the common sample of cross-factor comparisons (unset: the longest "
        "period every compared factor covers).",
    )
    compare_end: str | None = knob(None, "End (YYYY-MM or YYYY-MM-DD) of the common comparison sample.")
    filter_suspended: bool = knob(True, "Exclude stocks suspended at formation.")
    filter_st: bool = knob(True, "Exclude ST stocks at formation.")
    filter_limit_up: bool = knob(True, "Exclude stocks at their limit up at formation.")
    filter_min_listed_days: int = knob(60, "Exclude stocks listed fewer days than this at formation.")

    @property
    def compare_bounds(self) -> tuple[date | None, date | None]:
        """The common sample's user bounds: first day of compare_start's month, last of compare_end's."""
        return _month_bound("compare_start", self.compare_start, first=True), _month_bound(
            "compare_end", self.compare_end, first=False
        )

    @property
    def filters(self) -> TradabilityFilters:
        return TradabilityFilters(
            suspended=self.filter_suspended,
            st=self.filter_st,
            limit_up=self.filter_limit_up,
            min_listed_days=self.filter_min_listed_days,
        )


class IndustryConfig(Group):
    """Industry factors' options."""

    ENV_PREFIX: typing.ClassVar[str] = "INDUSTRY_"

    amplitude_cut_vol_scale: bool = knob(
        True,
        "Kaiyuan (2020) amplitude-cut industry momentum: divide the low-amplitude days' log return by the std of "
        "the last 20 daily log returns (Mom_raw / Vol_recent); false keeps the report's undivided sum.",
    )


class StudyConfig(Group):
    """A study's parameters as nested Dagster config, derived from the study's parameter dataclass in
    ``core/`` (:func:`study_config`): each knob is declared once there, with its default and its doc."""

    PARAMS: typing.ClassVar[type] = object

    def params(self):
        """The study's parameter object, as ``core/`` takes it."""
        return self.PARAMS(**self.model_dump())


def study_config(params: type, name: str, env_prefix: str, **defaults) -> type[StudyConfig]:
    """A :class:`StudyConfig` whose fields are the dataclass ``params``' fields (a tuple becomes a list:
    Dagster config has no tuples), with their defaults (or the pipeline's, ``defaults``) and their ``doc``
    metadata as descriptions; its variables are ``MOMENTUM_<env_prefix><KNOB>``."""
    hints = typing.get_type_hints(params)
    fields = {}
    for item in dataclasses.fields(params):
        kind, default = hints[item.name], defaults.get(item.name, item.default)
        if typing.get_origin(kind) is tuple:
            kind, default = list[typing.get_args(kind)[0]], list(default)
        fields[item.name] = (kind, Field(default=default, description=item.metadata.get("doc")))
    config = create_model(name, __base__=StudyConfig, __module__=__name__, **fields)
    config.PARAMS, config.ENV_PREFIX = params, env_prefix
    return config


DmomConfig = study_config(DmomParams, "DmomConfig", "DMOM_")
# The pipeline runs the Ken French branches on the papers' samples (core's own default: the whole series).
CrashConfig = study_config(CrashParams, "CrashConfig", "CRASH_", kf_sample_start="1927-01", kf_sample_end="2013-03")
FactorMomentumConfig = study_config(
    FactorMomentumParams, "FactorMomentumConfig", "FM_", kf_sample_start="1964-07", kf_sample_end="2019-12"
)


class Settings(ConfigurableResource):
    """Pipeline configuration, one nested object a group. Build with :meth:`from_env`."""

    storage: StorageConfig = StorageConfig()
    run: RunConfig = RunConfig()
    source: SourceConfig = SourceConfig()
    sim: SimConfig = SimConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    industry: IndustryConfig = IndustryConfig()
    dmom: DmomConfig = DmomConfig()
    crash: CrashConfig = CrashConfig()
    fm: FactorMomentumConfig = FactorMomentumConfig()

    @classmethod
    def from_env(cls, environ: typing.Mapping[str, str] | None = None) -> Settings:
        """Settings from ``MOMENTUM_*`` variables (unset: the knob's default), checked.

        The returned resource's knob DEFAULTS are the environment's values, down to each group's class:
        Dagster fills the knobs a run's config leaves out from the declared defaults (not from the
        instance), so overriding one knob in the launchpad keeps every other knob as the environment set it.
        """
        environ = os.environ if environ is None else environ
        groups = {}
        for name, field in cls.model_fields.items():
            group = field.annotation
            values = {}
            for key, item in group.model_fields.items():
                raw = environ.get(group.variable(key))
                if raw is not None:
                    values[key] = _parse(group.variable(key), raw, item.annotation)
            if values:
                group = _with_defaults(group, values)
                groups[name] = (group, group())
        settings = _with_defaults(cls, groups, typed=True)()
        settings.check()
        return settings

    def with_storage(self, **knobs) -> Settings:
        """These settings with ``knobs`` of the ``storage`` group as its declared defaults (like
        :meth:`from_env`'s), so a launchpad override of another storage knob keeps them."""
        current = {name: getattr(self.storage, name) for name in type(self.storage).model_fields}
        storage = _with_defaults(type(self.storage), {**current, **knobs})
        others = {name: getattr(self, name) for name in type(self).model_fields if name != "storage"}
        return _with_defaults(type(self), {"storage": (storage, storage())}, typed=True)(**others)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self.check()  # a launchpad override is checked like the environment

    def check(self) -> None:
        """Reject inconsistent settings with a message naming the variable to fix."""
        source, sim, crash, fm = self.source, self.sim, self.crash, self.fm
        if source.data_source not in DATA_SOURCES:
            raise ValueError(f"MOMENTUM_DATA_SOURCE must be one of {DATA_SOURCES}, got {source.data_source!r}")
        if source.data_source == "files" and not source.files_dir:
            raise ValueError("MOMENTUM_DATA_SOURCE=files needs MOMENTUM_FILES_DIR (a folder of CSV/Parquet files)")
        if self.dmom.scheme not in ("expanding", "rolling"):
            raise ValueError(f"MOMENTUM_DMOM_SCHEME must be 'expanding' or 'rolling', got {self.dmom.scheme!r}")
        if sim.profile not in SIM_PROFILES:
            raise ValueError(f"MOMENTUM_SIM_PROFILE must be one of {SIM_PROFILES}, got {sim.profile!r}")
        if not 0 <= sim.effect_scale < 100:
            raise ValueError(f"MOMENTUM_SIM_EFFECT_SCALE must be in [0, 100), got {sim.effect_scale}")
        if sim.stocks < 50 or sim.industries < 2:
            raise ValueError("MOMENTUM_SIM_STOCKS must be >= 50 and MOMENTUM_SIM_INDUSTRIES >= 2")
        try:
            start = date.fromisoformat(source.history_start)
        except ValueError:
            raise ValueError(
                f"MOMENTUM_HISTORY_START must be an ISO date YYYY-MM-DD, got {source.history_start!r}"
            ) from None
        if start.day != 1:
            raise ValueError(f"MOMENTUM_HISTORY_START must be the first day of a month, got {start}")
        for name in ("is_variance", "oos_variance"):
            if getattr(crash, name) not in VARIANCES:
                raise ValueError(
                    f"MOMENTUM_CRASH_{name.upper()} must be one of {VARIANCES}, got {getattr(crash, name)!r}"
                )
        if not re.fullmatch(r"(sh|sz)\.\d{6}", source.baostock_index):
            raise ValueError(
                f"MOMENTUM_BAOSTOCK_INDEX must be a baostock index code like sh.000300, got {source.baostock_index!r}"
            )
        if source.baostock_rf_annual is not None and not -0.05 <= source.baostock_rf_annual <= 0.5:
            raise ValueError(
                "MOMENTUM_BAOSTOCK_RF_ANNUAL must be an annual rate in decimals in [-0.05, 0.5] "
                f"(e.g. 0.015), got {source.baostock_rf_annual}"
            )
        if not 0 <= source.baostock_retries <= 20:
            raise ValueError(f"MOMENTUM_BAOSTOCK_RETRIES must be in [0, 20], got {source.baostock_retries}")
        memory = self.storage.duckdb_memory_limit
        if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory, re.IGNORECASE):
            raise ValueError(f"MOMENTUM_DUCKDB_MEMORY_LIMIT must be a size like 2GB or 512MB, got {memory!r}")
        self.check_scale_out()
        if self.run.chunk_months < 1:
            raise ValueError(f"MOMENTUM_CHUNK_MONTHS must be >= 1, got {self.run.chunk_months}")
        if self.run.chunk_threads is not None and not 1 <= self.run.chunk_threads <= 64:
            raise ValueError(f"MOMENTUM_CHUNK_THREADS must be in [1, 64], got {self.run.chunk_threads}")
        if crash.breakpoints not in BREAKPOINTS:
            raise ValueError(f"MOMENTUM_CRASH_BREAKPOINTS must be one of {BREAKPOINTS}, got {crash.breakpoints!r}")
        if not 0 < crash.large_cap_share <= 1:
            raise ValueError(f"MOMENTUM_CRASH_LARGE_CAP_SHARE must be in (0, 1], got {crash.large_cap_share}")
        if crash.kf_var_window_months < 12:
            raise ValueError(
                "MOMENTUM_CRASH_KF_VAR_WINDOW_MONTHS must be >= 12 (the variance of fewer monthly returns collapses "
                f"when they are steady, and the strategies invert it), got {crash.kf_var_window_months}"
            )
        if not 0 <= self.evaluation.cost_bps <= 1000:
            raise ValueError(f"MOMENTUM_COST_BPS must be in [0, 1000] basis points, got {self.evaluation.cost_bps}")
        start, end = self.evaluation.compare_bounds
        if start is not None and end is not None and start > end:
            raise ValueError(f"MOMENTUM_COMPARE_START ({start}) is after MOMENTUM_COMPARE_END ({end})")
        for study in (crash, fm):
            for name in ("kf_sample_start", "kf_sample_end"):
                value = getattr(study, name)
                if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
                    raise ValueError(f"{study.variable(name)} must be a month YYYY-MM, got {value!r}")
            if None not in (study.kf_sample_start, study.kf_sample_end) and study.kf_sample_start > study.kf_sample_end:
                raise ValueError(
                    f"{study.variable('kf_sample_start')} must not be after {study.variable('kf_sample_end')}"
                )
        if fm.xs_median_leg not in MEDIAN_LEGS:
            raise ValueError(f"MOMENTUM_FM_XS_MEDIAN_LEG must be one of {MEDIAN_LEGS}, got {fm.xs_median_leg!r}")
        if not 0 < fm.quantile < 0.5:
            raise ValueError(f"MOMENTUM_FM_QUANTILE must be in (0, 0.5), got {fm.quantile}")

    def check_scale_out(self) -> None:
        """The backend and the executor: known names, and no parallel executor on the one-writer DuckDB file."""
        storage, run = self.storage, self.run
        if storage.warehouse not in WAREHOUSES:
            raise ValueError(f"MOMENTUM_WAREHOUSE must be one of {WAREHOUSES}, got {storage.warehouse!r}")
        if run.executor not in EXECUTORS:
            raise ValueError(f"MOMENTUM_EXECUTOR must be one of {EXECUTORS}, got {run.executor!r}")
        if run.executor != "in_process" and storage.warehouse != "ducklake":
            raise ValueError(
                f"MOMENTUM_EXECUTOR={run.executor} runs steps in parallel processes, and a DuckDB file admits one "
                "writing process at a time (and no reader beside it): the steps would wait for each other's locks "
                "or fail. Use MOMENTUM_WAREHOUSE=ducklake with it (README, 'Scale out'), or "
                "MOMENTUM_EXECUTOR=in_process."
            )
        if run.executor == "dask" and not run.dask_address:
            raise ValueError("MOMENTUM_EXECUTOR=dask needs MOMENTUM_DASK_ADDRESS (e.g. tcp://scheduler:8786)")
        if run.executor_workers is not None and run.executor_workers < 1:
            raise ValueError(f"MOMENTUM_EXECUTOR_WORKERS must be >= 1, got {run.executor_workers}")
        catalog = storage.lake_catalog
        if storage.warehouse == "ducklake" and not re.match(r"(sqlite|postgres):.", catalog):
            raise ValueError(
                f"MOMENTUM_DUCKLAKE_CATALOG must be sqlite:<catalog file> or postgres:<libpq string>, got {catalog!r}"
            )
        if storage.s3_url_style not in ("path", "vhost"):
            raise ValueError(f"MOMENTUM_S3_URL_STYLE must be path or vhost, got {storage.s3_url_style!r}")
        if storage.ducklake_keep_hours < 0:
            raise ValueError(f"MOMENTUM_DUCKLAKE_KEEP_HOURS must be >= 0, got {storage.ducklake_keep_hours}")

    # ---- views that combine groups ------------------------------------------------------------------

    @property
    def chunk_threads(self) -> int:
        """``MOMENTUM_CHUNK_THREADS``, else 2 for an in-process run on 2+ cores (its steps run one at a time,
        so a step's chunks can use the second core), else 1."""
        if self.run.chunk_threads is not None:
            return self.run.chunk_threads
        return min(2, os.cpu_count() or 1) if self.run.executor == "in_process" else 1

    @property
    def executor_processes(self) -> int:
        """``MOMENTUM_EXECUTOR_WORKERS``, else the machine's cores."""
        return self.run.executor_workers or os.cpu_count() or 1

    @property
    def reports_path(self) -> Path:
        return Path(self.storage.reports_dir)

    @property
    def baostock_cache(self) -> Path:
        """``MOMENTUM_BAOSTOCK_CACHE_DIR``, else ``baostock_cache`` beside the DuckDB file."""
        if self.source.baostock_cache_dir:
            return Path(self.source.baostock_cache_dir)
        return Path(self.storage.duckdb_path).parent / "baostock_cache"

    @property
    def synthetic_state_dir(self) -> Path:
        """Where the synthetic market saves its states (a cache: ``synthetic_state`` beside the DuckDB file)."""
        return Path(self.storage.duckdb_path).parent / "synthetic_state"


def _with_defaults(model: type, values: dict, typed: bool = False) -> type:
    """``model`` with ``values`` as its fields' defaults (descriptions kept); ``typed``: values are
    ``(annotation, default)`` pairs."""
    fields = {}
    for name, value in values.items():
        annotation, default = value if typed else (model.model_fields[name].annotation, value)
        fields[name] = (annotation, Field(default=default, description=model.model_fields[name].description))
    return create_model(model.__name__, __base__=model, __module__=model.__module__, **fields)


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


def _parse(variable: str, raw: str, annotation) -> object:
    """``raw`` (the environment's ``variable``) as the knob's type; errors name the variable."""
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
