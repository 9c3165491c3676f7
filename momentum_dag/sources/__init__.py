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

    def planted_effects(self) -> list[dict[str, str]]:
        """Effects built into the data by construction (a simulator's), each ``effect``, ``strength``, ``how``:
        the index page lists them so that nobody mistakes a planted effect for a finding. None for real data."""
        return []


class SyntheticSource(DataSource):
    """The embedded, deterministic, A-share-like synthetic market (the default)."""

    name = "synthetic"
    synthetic = True

    @property
    def label(self) -> str:
        sim = self.settings.sim
        scale = f", effects x{sim.effect_scale:g}" if sim.effect_scale != 1 else ""
        return (
            f"synthetic ({sim.profile} profile{scale}, seed {sim.seed}, {sim.stocks} stocks): "
            "results on synthetic data test the machinery, not markets"
        )

    @property
    def universe(self) -> str:
        sim = self.settings.sim
        return f"a synthetic A-share-like market of {sim.stocks} stocks ({sim.profile} profile)"

    def provider(self) -> Provider:
        from momentum_dag.sources.synthetic import SimulatorConfig, SyntheticMarket

        sim = self.settings.sim
        config = SimulatorConfig(
            n_stocks=sim.stocks,
            n_industries=sim.industries,
            start=self.settings.source.history_start_date,
            seed=sim.seed,
            effects=self.effects(),
        )
        return SyntheticMarket(config, state_dir=self.settings.synthetic_state_dir)

    def effects(self):
        """The market's ``EffectStrengths``: the profile's, times the effect scale."""
        from momentum_dag.sources.synthetic import EffectStrengths

        sim = self.settings.sim
        return EffectStrengths.profile(sim.profile).times(sim.effect_scale)

    def planted_effects(self) -> list[dict[str, str]]:
        from momentum_dag.sources.synthetic import planted_effects

        return planted_effects(self.effects())


class FilesSource(DataSource):
    """A folder of CSV/Parquet files in the raw contract (``MOMENTUM_FILES_DIR``)."""

    name = "files"
    reads_before_history_start = True

    @property
    def label(self) -> str:
        return f"files ({self.settings.source.files_dir})"

    @property
    def universe(self) -> str:
        return f"the stocks in {self.settings.source.files_dir}"

    def provider(self) -> Provider:
        from momentum_dag.sources.files import FilesProvider

        return FilesProvider(self.settings.source.files_path)


class BaostockSource(DataSource):
    """A-shares downloaded from baostock, cached beside the warehouse."""

    name = "baostock"

    @property
    def label(self) -> str:
        from momentum_dag.sources.baostock import industry_caveat

        source = self.settings.source
        rf = (
            f"rf {source.baostock_rf_annual:g} a year"
            if source.baostock_rf_annual is not None
            else "rf the one-year deposit rate"
        )
        caveat = industry_caveat(self.settings.baostock_cache)
        return f"baostock A-shares (market {source.baostock_index}, {rf}); {caveat}"

    @property
    def universe(self) -> str:
        return "A-shares from baostock (every listed A-share in each month)"

    def provider(self) -> Provider:
        from momentum_dag.sources.baostock import BaostockProvider

        source = self.settings.source
        return BaostockProvider(
            None,
            self.settings.baostock_cache,
            history_start=source.history_start_date,
            index_code=source.baostock_index,
            rf_annual=source.baostock_rf_annual,
            retries=source.baostock_retries,
        )


SOURCES: dict[str, type[DataSource]] = {
    source.name: source for source in (SyntheticSource, FilesSource, BaostockSource)
}


def data_source(settings: Settings) -> DataSource:
    """The data source the settings name (``MOMENTUM_DATA_SOURCE``)."""
    return SOURCES[settings.source.data_source](settings)
