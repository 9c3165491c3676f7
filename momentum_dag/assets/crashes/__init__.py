"""Daniel & Moskowitz (2016, JFE 122:221-247) "Momentum crashes" as assets; the math is in
``core.crashes`` (``study`` for the whole study), the pages in ``reports.crashes``.

Monthly partitioned (``series``): ``crashes/wml`` (monthly, daily and formation tables),
``crashes/market_state``, ``crashes/wml_betas``, ``crashes/wml_variance_forecast``. Unpartitioned, rebuilt
from those (``full_sample``): ``crashes/momentum_strategies``, ``crashes/crash_regressions``; the Ken French
monthly branch (``kenfrench``): ``crashes/kenfrench_crashes``; the pages (``report``):
``reports/momentum_crashes`` and ``reports/momentum_crashes_kenfrench``.
"""

from dagster import AssetKey

from momentum_dag.assets.crashes.full_sample import crash_regressions_asset, momentum_strategies_asset
from momentum_dag.assets.crashes.kenfrench import kenfrench_crashes_asset
from momentum_dag.assets.crashes.report import (
    KF_REPORT_SLUG,
    REPORT_SLUG,
    momentum_crashes_kenfrench_report,
    momentum_crashes_report,
)
from momentum_dag.assets.crashes.series import build_series_assets
from momentum_dag.names import CRASH_REPORT_KEY, KF_CRASH_REPORT_KEY
from momentum_dag.partitions import Partitions

# (asset key, link text, page href) for the report index.
CRASH_REPORTS: list[tuple[AssetKey, str, str]] = [
    (CRASH_REPORT_KEY, "Momentum crashes (Daniel-Moskowitz 2016)", f"{REPORT_SLUG}.html"),
    (KF_CRASH_REPORT_KEY, "Momentum crashes on Ken French monthly data", f"{KF_REPORT_SLUG}.html"),
]


def build_crash_assets(partitions: Partitions) -> list:
    return [
        *build_series_assets(partitions),
        momentum_strategies_asset,
        crash_regressions_asset,
        kenfrench_crashes_asset,
        momentum_crashes_report,
        momentum_crashes_kenfrench_report,
    ]
