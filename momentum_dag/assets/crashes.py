"""Daniel & Moskowitz (2016, JFE 122:221-247) "Momentum crashes" as Dagster assets: what the lead wires.

Monthly partitioned (single-run backfill; each run replaces its window in one transaction from history
before the window end): ``models/wml`` (models.wml_monthly, models.wml_daily, models.wml_formation),
``models/market_state``, ``models/wml_betas``, ``models/wml_variance_forecast`` (the expanding GJR-GARCH
walks every month in order inside one run) and ``raw/factor_returns_monthly`` (Ken French rows).
Unpartitioned: ``models/momentum_strategies``, ``models/crash_regressions``, ``models/kenfrench_crashes``
and the pages ``reports/momentum_crashes`` and ``reports/momentum_crashes_kenfrench``.
Modules: ``crashes_common`` (knobs, tables, shared analyses), ``crashes_models``, ``crashes_fullsample``,
``crashes_kenfrench``, ``crashes_report``.
"""

from dagster import AssetKey

from momentum_dag.assets.crashes_common import KF_REPORT_KEY, KF_REPORT_SLUG, REPORT_KEY, REPORT_SLUG
from momentum_dag.assets.crashes_fullsample import FULLSAMPLE_ASSETS
from momentum_dag.assets.crashes_kenfrench import KENFRENCH_ASSETS
from momentum_dag.assets.crashes_models import MODEL_ASSETS
from momentum_dag.assets.crashes_report import REPORT_ASSETS

CRASH_ASSETS: list = [*MODEL_ASSETS, *FULLSAMPLE_ASSETS, *KENFRENCH_ASSETS, *REPORT_ASSETS]

# (asset key, link text, page href) for ``assets.reports.EXTRA_REPORTS``.
CRASH_REPORT: tuple[AssetKey, str, str] = (
    REPORT_KEY,
    "Momentum crashes (Daniel-Moskowitz 2016)",
    f"{REPORT_SLUG}.html",
)
KENFRENCH_CRASH_REPORT: tuple[AssetKey, str, str] = (
    KF_REPORT_KEY,
    "Momentum crashes on Ken French monthly data",
    f"{KF_REPORT_SLUG}.html",
)
CRASH_REPORTS: list[tuple[AssetKey, str, str]] = [CRASH_REPORT, KENFRENCH_CRASH_REPORT]

__all__ = ["CRASH_ASSETS", "CRASH_REPORT", "CRASH_REPORTS", "KENFRENCH_CRASH_REPORT"]
