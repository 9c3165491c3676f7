"""Raw-data providers. Each has ``generate(start, end)`` yielding dicts table -> rows in the raw contract."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import date
from typing import Protocol

import pandas as pd

from momentum_dag.settings import Settings


class Provider(Protocol):
    def generate(self, start: date, end: date) -> Iterator[dict[str, pd.DataFrame]]: ...


class DataSource:
    """Where the raw data come from: its name (``MOMENTUM_DATA_SOURCE``), the one line every report shows
    (:attr:`label`), the universe in words, and its own reader (:meth:`provider`)."""

    name: typing.ClassVar[str]
    synthetic: typing.ClassVar[bool] = False
    """Results test the machinery, not markets (pages carry the synthetic-data note)."""
    reads_before_history_start: typing.ClassVar[bool] = False
    """Its raw tables may hold rows dated before the history start (the first partition owns them)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def label(self) -> str:
        raise NotImplementedError

    @property
    def universe(self) -> str:
        raise NotImplementedError

    def provider(self) -> Provider:
        raise NotImplementedError


class SyntheticSource(DataSource):
    """The embedded, deterministic, A-share-like synthetic market (the default)."""

    name = "synthetic"
    synthetic = True

    @property
    def label(self) -> str:
        s = self.settings
        scale = f", effects x{s.sim_effect_scale:g}" if s.sim_effect_scale != 1 else ""
        return (
            f"synthetic ({s.sim_profile} profile{scale}, seed {s.sim_seed}, {s.sim_stocks} stocks): "
            "results on synthetic data test the machinery, not markets"
        )

    @property
    def universe(self) -> str:
        s = self.settings
        return f"a synthetic A-share-like market of {s.sim_stocks} stocks ({s.sim_profile} profile)"

    def provider(self) -> Provider:
        from momentum_dag.sources.synthetic import EffectStrengths, SimulatorConfig, SyntheticMarket

        s = self.settings
        config = SimulatorConfig(
            n_stocks=s.sim_stocks,
            n_industries=s.sim_industries,
            start=s.history_start_date,
            seed=s.sim_seed,
            effects=EffectStrengths.profile(s.sim_profile).times(s.sim_effect_scale),
        )
        return SyntheticMarket(config)


class FilesSource(DataSource):
    """A folder of CSV/Parquet files in the raw contract (``MOMENTUM_FILES_DIR``)."""

    name = "files"
    reads_before_history_start = True

    @property
    def label(self) -> str:
        return f"files ({self.settings.files_dir})"

    @property
    def universe(self) -> str:
        return f"the stocks in {self.settings.files_dir}"

    def provider(self) -> Provider:
        from momentum_dag.sources.files import FilesProvider

        return FilesProvider(self.settings.files_path)


class BaostockSource(DataSource):
    """A-shares downloaded from baostock, cached beside the warehouse."""

    name = "baostock"

    @property
    def label(self) -> str:
        from momentum_dag.sources.baostock import industry_caveat

        s = self.settings
        rf = (
            f"rf {s.baostock_rf_annual:g} a year"
            if s.baostock_rf_annual is not None
            else "rf the one-year deposit rate"
        )
        return f"baostock A-shares (market {s.baostock_index}, {rf}); {industry_caveat(s.baostock_cache)}"

    @property
    def universe(self) -> str:
        return "A-shares from baostock (every listed A-share in each month)"

    def provider(self) -> Provider:
        from momentum_dag.sources.baostock import BaostockProvider

        s = self.settings
        return BaostockProvider(
            None,
            s.baostock_cache,
            history_start=s.history_start_date,
            index_code=s.baostock_index,
            rf_annual=s.baostock_rf_annual,
            retries=s.baostock_retries,
        )


SOURCES: dict[str, type[DataSource]] = {
    source.name: source for source in (SyntheticSource, FilesSource, BaostockSource)
}


def data_source(settings: Settings) -> DataSource:
    """The data source the settings name (``MOMENTUM_DATA_SOURCE``)."""
    return SOURCES[settings.data_source](settings)
