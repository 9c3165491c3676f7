"""Registered factors as assets, generated from the registry (``momentum_dag/registry.py``).

Per factor ``f``: ``factors/f`` (``panel``: the long panel ``factors.f`` and its side tables),
``eval/f`` (``evaluation``: IC, rank IC and quantile returns per formation period in ``eval.f_periods``)
and ``reports/f`` (``report``: the ``eval.summary`` rows and the HTML page).
"""

from momentum_dag.assets.factors.evaluation import build_evaluation_asset
from momentum_dag.assets.factors.features import build_dmom_features_asset
from momentum_dag.assets.factors.panel import build_factor_asset
from momentum_dag.assets.factors.report import build_report_asset
from momentum_dag.partitions import Partitions
from momentum_dag.registry import FACTORS


def build_factor_assets(partitions: Partitions) -> list:
    assets = [build_dmom_features_asset(partitions)]
    for spec in FACTORS:
        partitions_def = partitions.of(spec.frequency)
        assets += [
            build_factor_asset(spec, partitions_def),
            build_evaluation_asset(spec, partitions_def),
            build_report_asset(spec),
        ]
    return assets
