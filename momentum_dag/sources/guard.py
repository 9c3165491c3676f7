"""The "nothing lost" guard: a raw window is never replaced by markedly fewer rows than it holds (issue 12).

A partial download, an outage or a truncated file would otherwise silently shrink the warehouse: the raw
write deletes the window and inserts what the provider produced. :func:`row_count_guard` builds the check
that :func:`momentum_dag.storage.write_windows` runs inside the write transaction, after the new rows
are inserted and before the commit; raising there rolls every table back, so nothing is written.

Threshold: a table's window is refused when the new rows are fewer than ``MIN_KEPT_FRACTION`` (90%) of the
rows it replaces AND the shortfall is at least ``MIN_SHORTFALL_ROWS`` (5) rows. Re-runs of a deterministic
provider write the same count; real sources restate a little (a corrected report, a late listing), which
moves counts by far less than 10%; an outage or a half-done download loses far more. The absolute floor
keeps tiny windows (a month with four fundamentals rows that now has three) from tripping it. Growth is
always allowed. ``MOMENTUM_RAW_FORCE=1`` accepts the smaller window (e.g. after shrinking the synthetic
market on purpose).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

MIN_KEPT_FRACTION = 0.9
MIN_SHORTFALL_ROWS = 5


class _Counts(Protocol):
    table: str
    rows_written: int
    rows_replaced: int
    window_start: object
    window_end: object


class RawShrinkError(RuntimeError):
    """A raw window would be replaced by markedly fewer rows than it holds; nothing was written."""


def shrinking_tables(
    results: Mapping[str, _Counts],
    *,
    min_kept_fraction: float = MIN_KEPT_FRACTION,
    min_shortfall_rows: int = MIN_SHORTFALL_ROWS,
) -> list[_Counts]:
    """The write results whose new row count is markedly below the count they replace."""
    return [
        r
        for r in results.values()
        if r.rows_written < min_kept_fraction * r.rows_replaced
        and r.rows_replaced - r.rows_written >= min_shortfall_rows
    ]


def row_count_guard(
    force: bool = False,
    *,
    min_kept_fraction: float = MIN_KEPT_FRACTION,
    min_shortfall_rows: int = MIN_SHORTFALL_ROWS,
) -> Callable[[Mapping[str, _Counts]], None]:
    """A guard for ``write_windows(..., guard=...)``: raises :class:`RawShrinkError` naming each shrinking
    table, its window and both counts, unless ``force`` (``MOMENTUM_RAW_FORCE=1``)."""

    def guard(results: Mapping[str, _Counts]) -> None:
        if force:
            return
        shrinking = shrinking_tables(
            results, min_kept_fraction=min_kept_fraction, min_shortfall_rows=min_shortfall_rows
        )
        if not shrinking:
            return
        lines = [
            f"  - {r.table} [{r.window_start}, {r.window_end}): {r.rows_written} new rows would replace "
            f"{r.rows_replaced} ({r.rows_written / r.rows_replaced:.1%})"
            for r in shrinking
        ]
        raise RawShrinkError(
            "refusing to replace raw data by markedly fewer rows (below "
            f"{min_kept_fraction:.0%} of what the window holds); nothing was written:\n"
            + "\n".join(lines)
            + "\nA partial download or an outage? Run again when the source is complete. "
            "To accept the smaller window on purpose, set MOMENTUM_RAW_FORCE=1."
        )

    return guard
