"""What the factor-momentum assets share: the parameters from the settings and the factor-return reader."""

from datetime import date

import pandas as pd

from momentum_dag.core.factor_momentum.study import FactorMomentumParams, consecutive_months
from momentum_dag.names import FACTOR_RETURNS_DAILY, FACTOR_RETURNS_MONTHLY
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse


def fm_params(settings: Settings) -> FactorMomentumParams:
    return settings.fm.params()


def read_factor_panel(
    warehouse: Warehouse,
    *,
    end: date | None = None,
    start: date | None = None,
    roles: tuple[str, ...] = ("factor",),
    sources: tuple[str, ...] | None = None,
    daily: bool = False,
) -> pd.DataFrame:
    """Wide factor returns (date x factor) from ``models.factor_returns_{monthly,daily}`` with dates in
    [start, end) (open ends when None), for the given roles and sources; empty frame while no table."""
    table, column = (FACTOR_RETURNS_DAILY, "trade_date") if daily else (FACTOR_RETURNS_MONTHLY, "period_end")
    where, params = [f"role in ({', '.join('?' * len(roles))})"], list(roles)
    if sources is not None:
        where.append(f"source in ({', '.join('?' * len(sources))})")
        params += list(sources)
    for bound, operator in ((start, ">="), (end, "<")):
        if bound is not None:
            where.append(f"{column} {operator} ?")
            params.append(bound)
    frame = warehouse.query_if_exists(
        table, f"select {column}, factor, ret from {table} where {' and '.join(where)}", params
    )
    if frame is None or frame.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype=float)
    wide = frame.pivot(index=column, columns="factor", values="ret")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index), name="date")
    wide.columns = wide.columns.astype(str)
    wide.columns.name = None
    return wide.sort_index().sort_index(axis=1).astype(float)


def strategy_panel(
    warehouse: Warehouse, params: FactorMomentumParams, *, end: date | None = None, start: date | None = None
) -> pd.DataFrame:
    """Monthly returns of the strategy factors (role factor, the configured sources), one row per month."""
    return consecutive_months(
        read_factor_panel(warehouse, end=end, start=start, roles=("factor",), sources=params.strategy_sources)
    )
