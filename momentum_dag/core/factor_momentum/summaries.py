"""The factor-momentum pages' statistics (Ehsani & Linnainmaa 2022): TS/CS factor momentum over the full
sample and its halves (Table IV panels B-C), PC factor momentum by eigenvalue group, raw vs
momentum-neutral factor momentum, and one row per spanning regression. The report pages only render them
(``reports/factor_momentum.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from momentum_dag.core.factor_momentum.spanning import summarize_by_half
from momentum_dag.core.factor_momentum.study import spanning_summary

TS_CS_COLUMNS = ["tsmom", "tsmom_winners", "tsmom_losers", "xsmom", "xsmom_weighted"]


def by_half(series: pd.DataFrame | None, columns: list[str] = TS_CS_COLUMNS) -> pd.DataFrame | None:
    """:func:`summarize_by_half` of those ``columns`` that have at least one month; None when none has."""
    if series is None or series.empty:
        return None
    present = [c for c in columns if c in series and series[c].notna().sum() > 0]
    return summarize_by_half(series[present].astype(float)) if present else None


def pc_by_group(pc: pd.DataFrame | None) -> pd.DataFrame | None:
    """PC momentum by group rank (columns ``pc_group_1`` = highest eigenvalues, ...), indexed by holding
    month, from the long ``models.pc_factor_momentum_monthly`` rows."""
    if pc is None or pc.empty:
        return None
    wide = pc.pivot_table(index=pc.index, columns="group_rank", values="ret")
    wide.columns = [f"pc_group_{int(c)}" for c in wide.columns]
    return wide.rename_axis("period_end")


def neutral_by_half(neutral: pd.DataFrame) -> pd.DataFrame | None:
    """TS and CS momentum by half for each factor set (raw, momentum-neutral); None before any month."""
    if neutral.empty:
        return None
    parts = []
    for label, frame in neutral.groupby("factor_set"):
        table = summarize_by_half(frame[["tsmom", "xsmom"]].astype(float)).reset_index()
        parts.append(table.assign(factor_set=label))
    out = pd.concat(parts, ignore_index=True)
    return out[["factor_set", *[c for c in out.columns if c != "factor_set"]]]


def neutral_tsmom(neutral: pd.DataFrame) -> pd.DataFrame | None:
    """TS momentum of each factor set side by side (``tsmom_<set>``), indexed by holding month."""
    if neutral.empty:
        return None
    wide = neutral.pivot_table(index=neutral.index, columns="factor_set", values="tsmom")
    wide.columns = [f"tsmom_{c}" for c in wide.columns]
    return wide


def mean_t(returns: pd.Series) -> tuple[float, float]:
    """Mean and its t-statistic, mean / (std / sqrt(n)) with ddof=1 (NaN for fewer than two months)."""
    values = returns.dropna()
    mean = float(values.mean()) if len(values) else np.nan
    t = float(mean / (values.std(ddof=1) / len(values) ** 0.5)) if len(values) > 1 else np.nan
    return mean, t


@dataclass(frozen=True)
class PageStatistics:
    """What a factor-momentum page shows (None: not computable yet).

    ``momentum``: the TS/CS series (``models.factor_momentum_monthly``); ``halves``: them by half;
    ``pc`` / ``pc_halves``: PC momentum by group and by half (the latter also stored as
    ``models.pc_factor_momentum_summary``); ``neutral_halves`` / ``neutral_tsmom``: raw vs momentum-neutral;
    ``spanning``: one row per spanning regression."""

    momentum: pd.DataFrame | None
    halves: pd.DataFrame | None
    pc: pd.DataFrame | None
    pc_halves: pd.DataFrame | None
    neutral_halves: pd.DataFrame | None
    neutral_tsmom: pd.DataFrame | None
    spanning: pd.DataFrame


def page_statistics(
    momentum: pd.DataFrame | None,
    pc: pd.DataFrame | None,
    spanning: pd.DataFrame | None,
    neutral: pd.DataFrame | None = None,
) -> PageStatistics:
    """The page's statistics from the study's tables: ``momentum`` TS/CS series, ``pc`` the long PC momentum
    rows, ``spanning`` the regressions' long rows, ``neutral`` the raw vs neutral series (any may be None)."""
    wide_pc = pc_by_group(pc)
    return PageStatistics(
        momentum=momentum,
        halves=by_half(momentum),
        pc=wide_pc,
        pc_halves=summarize_by_half(wide_pc).reset_index() if wide_pc is not None else None,
        neutral_halves=neutral_by_half(neutral) if neutral is not None else None,
        neutral_tsmom=neutral_tsmom(neutral) if neutral is not None else None,
        spanning=spanning_summary(spanning) if spanning is not None else pd.DataFrame(),
    )
