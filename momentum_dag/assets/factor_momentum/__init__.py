"""Ehsani & Linnainmaa (2022, JF 77(3):1877-1919) "Factor momentum and the momentum factor" as assets; the
math is in ``core.factor_momentum`` (``study`` for the whole study), the pages in ``reports.factor_momentum``.

Every key starts with ``factor_momentum/`` (the group). Monthly partitioned: ``factor_returns``
(``returns``), ``factor_momentum``, ``pc_factor_momentum`` and ``momentum_neutral_factors`` (``strategies``).
Unpartitioned (``full_sample``): ``factor_autocorrelation``, ``spanning_tests``; the Ken French monthly
branch (``kenfrench``); the page (``report``).
"""

from dagster import AssetKey

from momentum_dag.assets.factor_momentum.full_sample import factor_autocorrelation_asset, spanning_tests_asset
from momentum_dag.assets.factor_momentum.kenfrench import (
    KF_REPORT_SLUG,
    kenfrench_factor_momentum_asset,
    kenfrench_factor_momentum_report,
)
from momentum_dag.assets.factor_momentum.report import REPORT_SLUG, factor_momentum_report
from momentum_dag.assets.factor_momentum.returns import build_returns_asset
from momentum_dag.assets.factor_momentum.strategies import build_strategy_assets
from momentum_dag.names import FACTOR_MOMENTUM_REPORT_KEY, KF_FACTOR_MOMENTUM_REPORT_KEY
from momentum_dag.partitions import Partitions

# (asset key, link text, page href) for the report index.
FACTOR_MOMENTUM_REPORTS: list[tuple[AssetKey, str, str]] = [
    (FACTOR_MOMENTUM_REPORT_KEY, "Factor momentum (Ehsani-Linnainmaa 2022)", f"{REPORT_SLUG}.html"),
    (KF_FACTOR_MOMENTUM_REPORT_KEY, "Factor momentum on Ken French monthly data", f"{KF_REPORT_SLUG}.html"),
]


def build_factor_momentum_assets(partitions: Partitions) -> list:
    return [
        build_returns_asset(partitions),
        *build_strategy_assets(partitions),
        factor_autocorrelation_asset,
        spanning_tests_asset,
        factor_momentum_report,
        kenfrench_factor_momentum_asset,
        kenfrench_factor_momentum_report,
    ]
