"""Ehsani & Linnainmaa (2022, JF 77(3):1877-1919) "Factor momentum and the momentum factor" as Dagster
assets: what the lead wires.

Monthly partitioned (single-run backfill; each run replaces its window in one transaction from history
before the window end): ``models/factor_returns``, ``models/factor_momentum``, ``models/pc_factor_momentum``
(walks the months in order), ``models/momentum_neutral_factors``. Unpartitioned: ``models/
factor_autocorrelation``, ``models/spanning_tests``, ``models/kenfrench_factor_momentum`` and the pages
``reports/factor_momentum`` and ``reports/factor_momentum_kenfrench``. Modules: ``factor_momentum_common``
(knobs, tables, shared analyses), ``factor_momentum_returns``, ``factor_momentum_models``,
``factor_momentum_fullsample``, ``factor_momentum_kenfrench``, ``factor_momentum_report``.
"""

from dagster import AssetKey

from momentum_dag.assets.factor_momentum_common import KF_REPORT_KEY, KF_REPORT_SLUG, REPORT_KEY, REPORT_SLUG
from momentum_dag.assets.factor_momentum_fullsample import FULLSAMPLE_ASSETS
from momentum_dag.assets.factor_momentum_kenfrench import KENFRENCH_ASSETS
from momentum_dag.assets.factor_momentum_models import MODEL_ASSETS
from momentum_dag.assets.factor_momentum_report import REPORT_ASSETS
from momentum_dag.assets.factor_momentum_returns import factor_returns_asset

FACTOR_MOMENTUM_ASSETS: list = [
    factor_returns_asset,
    *MODEL_ASSETS,
    *FULLSAMPLE_ASSETS,
    *REPORT_ASSETS,
    *KENFRENCH_ASSETS,
]

# (asset key, link text, page href) for ``assets.reports.EXTRA_REPORTS``.
FACTOR_MOMENTUM_REPORTS: list[tuple[AssetKey, str, str]] = [
    (REPORT_KEY, "Factor momentum (Ehsani-Linnainmaa 2022)", f"{REPORT_SLUG}.html"),
    (KF_REPORT_KEY, "Factor momentum on Ken French monthly data", f"{KF_REPORT_SLUG}.html"),
]

__all__ = ["FACTOR_MOMENTUM_ASSETS", "FACTOR_MOMENTUM_REPORTS"]
