"""Raw-data providers. Each has ``generate(start, end)`` yielding dicts table -> rows in the raw contract."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Protocol

import pandas as pd

from momentum_dag.settings import Settings


class Provider(Protocol):
    def generate(self, start: date, end: date) -> Iterator[dict[str, pd.DataFrame]]: ...


def make_provider(settings: Settings) -> Provider:
    """The provider the settings name: the embedded synthetic market (default), a folder of files, or baostock."""
    if settings.data_source == "baostock":
        from momentum_dag.sources.baostock import BaostockProvider

        return BaostockProvider(
            None,
            settings.baostock_cache,
            history_start=settings.history_start_date,
            index_code=settings.baostock_index,
            rf_annual=settings.baostock_rf_annual,
            retries=settings.baostock_retries,
        )
    if settings.data_source == "files":
        from momentum_dag.sources.files import FilesProvider

        return FilesProvider(settings.files_path)
    from momentum_dag.sources.synthetic import EffectStrengths, SimulatorConfig, SyntheticMarket

    config = SimulatorConfig(
        n_stocks=settings.sim_stocks,
        n_industries=settings.sim_industries,
        start=settings.history_start_date,
        seed=settings.sim_seed,
        effects=EffectStrengths.profile(settings.sim_profile).times(settings.sim_effect_scale),
    )
    return SyntheticMarket(config)


def data_source_label(settings: Settings) -> str:
    """One line saying where the numbers come from, shown in every report."""
    if settings.data_source == "baostock":
        from momentum_dag.sources.baostock import industry_caveat

        rf = (
            f"rf {settings.baostock_rf_annual:g} a year"
            if settings.baostock_rf_annual is not None
            else "rf the one-year deposit rate"
        )
        return f"baostock A-shares (market {settings.baostock_index}, {rf}); {industry_caveat(settings.baostock_cache)}"
    if settings.data_source == "files":
        return f"files ({settings.files_dir})"
    scale = f", effects x{settings.sim_effect_scale:g}" if settings.sim_effect_scale != 1 else ""
    return (
        f"synthetic ({settings.sim_profile} profile{scale}, seed {settings.sim_seed}, {settings.sim_stocks} stocks): "
        "results on synthetic data test the machinery, not markets"
    )
