"""What the report assets share to show a paper's figures beside ours: load the published figures, compare
(``core.fidelity``), store the rows in ``eval.published_comparison`` (the index counts them) and build the
page's block (``reports.fidelity``)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from momentum_dag.core.fidelity import Ours, compare
from momentum_dag.core.published import figures_for_page, load_published
from momentum_dag.names import PUBLISHED_COMPARISON
from momentum_dag.reports.fidelity import OurSetup, comparison_block
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.storage import Warehouse, replace_rows


def page_comparison(
    warehouse: Warehouse,
    settings: Settings,
    page: str,
    ours: Mapping[tuple, Ours],
    setup: OurSetup,
) -> dict | None:
    """The page's "paper | ours | why they differ" block, its rows stored under ``page``; None (and the
    page's stored rows removed) when no published figure belongs to the page."""
    study, figures = figures_for_page(page, load_published(settings.source.published_figures))
    if study is None:
        if warehouse.table_or_none(PUBLISHED_COMPARISON) is not None:
            with warehouse.get_connection() as conn:
                conn.execute(f"delete from {PUBLISHED_COMPARISON} where page = ?", [page])
        return None
    comparison = compare(figures, ours)
    rows = comparison.assign(page=page, study=study.id)
    with warehouse.get_connection() as conn:
        replace_rows(conn, PUBLISHED_COMPARISON, rows, key_column="page", key_value=page)
    return comparison_block(study, figures, comparison, setup)


def sample_text(index: pd.Index) -> str:
    """First..last month of a monthly index, and the number of months."""
    dates = pd.DatetimeIndex(index).dropna()
    if dates.empty:
        return "no months yet"
    return f"{dates.min():%Y-%m}..{dates.max():%Y-%m} ({len(dates.unique())} months)"


def universe_text(settings: Settings) -> str:
    """Our stock universe in words."""
    return f"{data_source(settings).universe}; tradable stocks at formation"
