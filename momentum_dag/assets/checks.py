"""Asset checks where researchers need them, computed inside the asset from the rows it just wrote.

Each check's description states its bound. A check blocks (``blocking=True``: the run's downstream steps
do not start) only where the data cannot be right: a duplicate key, a value dated after the partition,
a WML month without all its deciles. Thin coverage or a missing evaluation period is a warning or an
error to look at, not a stop.

- factor panels (``factors/<f>``): ``coverage`` (every formation date covers at least the factor's
  ``min_coverage`` of its universe, in every window), ``unique_period_entity_window``,
  ``no_value_after_partition``;
- evaluations (``eval/<f>``): ``every_formation_period_evaluated`` (a row for every complete formation
  period of the partitions the factor has values for, in every window);
- models: ``crashes/wml`` ``every_decile_every_month``; ``crashes/crash_regressions``
  ``regressions_use_every_complete_month`` (Table 3's nobs = months with WML, the market, bear and up).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

COVERAGE = "coverage"
UNIQUE = "unique_period_entity_window"
NOT_AFTER = "no_value_after_partition"
EVALUATED = "every_formation_period_evaluated"
DECILES = "every_decile_every_month"
NOBS = "regressions_use_every_complete_month"


def _dates(values) -> str:
    items = [str(pd.Timestamp(d).date()) for d in values]
    return ", ".join(items[:6]) + (f" ... ({len(items)} in all)" if len(items) > 6 else "")


# ---- factor panels -------------------------------------------------------------------------------------


def panel_check_specs(asset: AssetKey, min_coverage: float) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            COVERAGE,
            asset=asset,
            description=(
                f"Every formation date written has a value for at least {min_coverage:.0%} of the entities that "
                "could have one (stocks with a monthly return, industries with a daily return that day), in "
                "every window. Warns below the floor (a thin month is data, not an error)."
            ),
        ),
        AssetCheckSpec(
            UNIQUE,
            asset=asset,
            blocking=True,
            description="At most one row per (period_end, entity_id, window) among the rows written. Blocking.",
        ),
        AssetCheckSpec(
            NOT_AFTER,
            asset=asset,
            blocking=True,
            description=(
                "Every row written is dated (period_end) inside the run's partitions, none on or after the end "
                "of the last one: a value dated after its partition would be a look-ahead. Blocking."
            ),
        ),
    ]


def panel_checks(
    asset: AssetKey, rows: pd.DataFrame, universe: pd.Series, window_end: date, min_coverage: float
) -> list[AssetCheckResult]:
    """The three panel checks on ``rows`` (``period_end, entity_id, window, value``) just written;
    ``universe``: entities that could have a value, by formation date."""
    valued = rows[rows["value"].notna()] if len(rows) else rows
    counts = valued.groupby(["period_end", "window"])["entity_id"].nunique() if len(valued) else pd.Series()
    dates = pd.to_datetime(counts.index.get_level_values("period_end")) if len(counts) else pd.DatetimeIndex([])
    size = universe.reindex(dates).to_numpy(dtype=float) if len(counts) else []
    share = pd.Series(counts.to_numpy() / size if len(counts) else [], index=counts.index, dtype=float)
    thin = share[share < min_coverage]
    coverage = AssetCheckResult(
        asset_key=asset,
        check_name=COVERAGE,
        passed=thin.empty,
        severity=AssetCheckSeverity.WARN,
        description=(
            f"{len(thin)} of {len(share)} (formation date, window) pairs below {min_coverage:.0%}"
            + (f": {_dates(thin.index.get_level_values('period_end').unique())}" if len(thin) else "")
        ),
        metadata={
            "min_coverage": MetadataValue.float(float(share.min())) if len(share) else MetadataValue.text("no value"),
            "floor": MetadataValue.float(float(min_coverage)),
            "formation_dates": MetadataValue.int(int(len(set(dates)))),
        },
    )
    duplicated = rows.duplicated(["period_end", "entity_id", "window"], keep=False) if len(rows) else pd.Series()
    unique = AssetCheckResult(
        asset_key=asset,
        check_name=UNIQUE,
        passed=not bool(duplicated.any()),
        metadata={"duplicate_rows": MetadataValue.int(int(duplicated.sum()))},
    )
    late = rows[pd.to_datetime(rows["period_end"]) >= pd.Timestamp(window_end)] if len(rows) else rows
    not_after = AssetCheckResult(
        asset_key=asset,
        check_name=NOT_AFTER,
        passed=late.empty,
        metadata={
            "rows_after_partition": MetadataValue.int(len(late)),
            "partition_end": MetadataValue.text(str(window_end)),
        },
        description=f"dated after the partition: {_dates(late['period_end'].unique())}" if len(late) else None,
    )
    return [coverage, unique, not_after]


# ---- evaluations ---------------------------------------------------------------------------------------


def evaluation_check_spec(asset: AssetKey) -> AssetCheckSpec:
    return AssetCheckSpec(
        EVALUATED,
        asset=asset,
        description=(
            "A row (IC, rank IC, quantile returns) for every complete formation period of the partitions, in "
            "every window: each formation date in the run's window at which the factor has values for at "
            "least as many entities as quantiles, and the holding period's returns are in the warehouse for as "
            "many, has an evaluation row. Error (not blocking) when one is missing."
        ),
    )


def expected_evaluations(
    factor_rows: pd.DataFrame,
    n_quantiles: int,
    start: date,
    end: date,
    complete: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """The (``period_end``, ``window``) pairs owed an evaluation row: formation dates in [start, end) with
    at least ``n_quantiles`` factor values, and in ``complete`` (the formation dates whose holding-period
    returns are known) when given. One row per pair, so the pairs of consecutive windows concatenate."""
    pairs = pd.DataFrame({"period_end": pd.Series([], dtype="datetime64[ns]"), "window": pd.Series([], dtype=int)})
    if not len(factor_rows):
        return pairs
    rows = factor_rows[factor_rows["value"].notna()]
    dates = pd.to_datetime(rows["period_end"])
    inside = (dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end))
    counts = rows[inside].groupby([dates[inside], rows.loc[inside, "window"]])["entity_id"].nunique()
    counts = counts[counts >= n_quantiles]
    owed = pd.DataFrame(
        {"period_end": counts.index.get_level_values(0), "window": counts.index.get_level_values(1).astype(int)}
    )
    if complete is not None:
        owed = owed[owed["period_end"].isin(pd.DatetimeIndex(complete))]
    return owed.reset_index(drop=True) if len(owed) else pairs


def evaluation_check(asset: AssetKey, expected: pd.DataFrame, per_period: pd.DataFrame) -> AssetCheckResult:
    """The pairs owed an evaluation row (:func:`expected_evaluations`) against the evaluation rows written."""
    owed = {(pd.Timestamp(d), int(w)) for d, w in zip(expected["period_end"], expected["window"], strict=True)}
    present = set()
    if len(per_period):
        pairs = zip(per_period["period_end"], per_period["window"], strict=True)
        present = {(pd.Timestamp(d), int(w)) for d, w in pairs}
    missing = sorted(owed - present)
    return AssetCheckResult(
        asset_key=asset,
        check_name=EVALUATED,
        passed=not missing,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "formation_periods_expected": MetadataValue.int(len({d for d, _ in owed})),
            "periods_missing": MetadataValue.int(len({d for d, _ in missing})),
        },
        description=f"no evaluation row for {_dates(sorted({d for d, _ in missing}))}" if missing else None,
    )


# ---- models --------------------------------------------------------------------------------------------


def wml_check_spec(asset: AssetKey) -> AssetCheckSpec:
    return AssetCheckSpec(
        DECILES,
        asset=asset,
        blocking=True,
        description=(
            "Every holding month written has all its decile returns (d1..d10 with the default "
            "MOMENTUM_CRASH_N_DECILES=10) and WML, and every formation month written assigns stocks to every "
            "decile. Blocking: WML = D10 - D1 is undefined without them."
        ),
    )


def wml_check(asset: AssetKey, monthly: pd.DataFrame, formation: pd.DataFrame, n_deciles: int) -> AssetCheckResult:
    columns = ["wml", *[f"d{i}" for i in range(1, n_deciles + 1)]]
    incomplete = monthly.loc[monthly[columns].isna().any(axis=1), "period_end"] if len(monthly) else []
    per_month = formation.groupby("period_end")["decile"].nunique() if len(formation) else pd.Series(dtype=int)
    short = per_month[per_month != n_deciles]
    return AssetCheckResult(
        asset_key=asset,
        check_name=DECILES,
        passed=len(incomplete) == 0 and short.empty,
        metadata={
            "holding_months": MetadataValue.int(len(monthly)),
            "months_missing_a_decile": MetadataValue.int(len(incomplete)),
            "formations_without_every_decile": MetadataValue.int(len(short)),
        },
        description=(
            f"holding months missing a decile: {_dates(incomplete)}; formations with fewer deciles: "
            f"{_dates(short.index)}"
            if len(incomplete) or len(short)
            else None
        ),
    )


def crash_nobs_check_spec(asset: AssetKey) -> AssetCheckSpec:
    return AssetCheckSpec(
        NOBS,
        asset=asset,
        description=(
            "Each Table 3 regression (1)-(4) has exactly as many observations as there are months with WML, "
            "the market excess return, the bear indicator and the up indicator all present (no month dropped, "
            "none counted twice). Error when they differ."
        ),
    )


def crash_nobs_check(asset: AssetKey, regressions: pd.DataFrame | None, variables: pd.DataFrame) -> AssetCheckResult:
    """``variables``: the months' wml, market excess, bear and up, aligned on period_end."""
    expected = int(variables.notna().all(axis=1).sum())
    got = {} if regressions is None else {int(m): int(n) for m, n in regressions["nobs"].items()}
    wrong = {m: n for m, n in got.items() if n != expected}
    return AssetCheckResult(
        asset_key=asset,
        check_name=NOBS,
        passed=not wrong and (bool(got) or expected == 0),
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "complete_months": MetadataValue.int(expected),
            **{f"nobs_model{m}": MetadataValue.int(n) for m, n in got.items()},
        },
        description=(
            f"models with other nobs than {expected}: {wrong}"
            if wrong
            else ("no regression although months are complete" if not got and expected else None)
        ),
    )
