"""Interactive pages: Plotly charts drawn in the browser from data written beside each page, and tables
that carry their CSV and the DuckDB query behind them.

A page ``<slug>.html`` loads ``plotly.min.js`` and ``reports.js`` (written once into the reports folder:
the pages work from disk, with no network) and its data ``<slug>/data.js`` (``window.MR_DATA``: one
dataset per chart, dates as ``YYYY-MM-DD``). The page holds only each chart's drawing spec, so a new month
rewrites the data, not the drawings. Every table's rows are also written as ``<slug>/<name>.csv`` (raw
values, full precision) next to a link to it.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import plotly

STATIC_DIR = Path(__file__).parent / "static"
PLOTLY_JS = "plotly.min.js"
REPORTS_JS = "reports.js"
CHART_KINDS = ("wealth", "lines", "bars_mean", "category")


@dataclass(frozen=True)
class Chart:
    """One interactive chart of a page.

    Args:
        frame: one column per series; index = dates (``period_end``) or, for ``kind="category"``, labels.
        title: the chart's title (what it shows, with its unit).
        kind: ``wealth`` (each column a per-period return, drawn as the wealth of 1 invested, with a
            linear/log toggle), ``lines`` (levels), ``bars_mean`` (the first column as bars with its
            ``rolling``-period mean) or ``category`` (grouped bars over the index labels).
        y_title: the y axis' label, with its unit.
        percent: values are decimals shown as percent.
        rolling: window of ``bars_mean``'s rolling mean.
        shade: boolean series by date; its runs of True are shaded (bear markets).
        log: ``wealth`` starts on the log scale.
    """

    frame: pd.DataFrame
    title: str
    kind: str = "lines"
    y_title: str = ""
    percent: bool = False
    rolling: int = 12
    shade: pd.Series | None = None
    log: bool = False

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ValueError(f"chart kind must be one of {CHART_KINDS}, got {self.kind!r}")
        if not isinstance(self.frame, pd.DataFrame):
            raise ValueError(f"chart {self.title!r}: frame must be a DataFrame")


@dataclass(frozen=True)
class Table:
    """A table with its export: ``frame`` is shown (formatted) and written raw as CSV.

    Args:
        frame: the rows; a non-default index becomes leading columns.
        query: the DuckDB query that reproduces the CSV's rows from the warehouse (shown beside the
            table); None where the table is derived in Python (then ``derived_from`` says from what).
        name: file name of the CSV (without ``.csv``); default from the section heading.
        glossary: column -> explanation, listed once under the table.
        labels: column -> header shown (with its unit); default the column name.
        csv: a different frame to export than the one shown (e.g. the raw rows behind a transposed table).
        derived_from: the query of the stored rows a derived table is computed from.
    """

    frame: pd.DataFrame
    query: str | None = None
    name: str | None = None
    glossary: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    csv: pd.DataFrame | None = None
    derived_from: str | None = None


def install_static(out_dir: Path) -> None:
    """Write ``plotly.min.js`` (from the installed plotly package) and ``reports.js`` into the reports
    folder, each atomically (report assets may run at once)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bundled = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    for source, name in ((bundled, PLOTLY_JS), (STATIC_DIR / REPORTS_JS, REPORTS_JS)):
        target = out_dir / name
        if (
            target.is_file()
            and target.stat().st_size == source.stat().st_size
            and target.read_bytes() == (source.read_bytes())
        ):
            continue
        handle, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.")
        os.close(handle)
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)


def _json_value(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    return str(value)


def _x_values(index: pd.Index) -> list:
    if isinstance(index, pd.DatetimeIndex):
        return [d.strftime("%Y-%m-%d") for d in index]
    return [_json_value(v) for v in index]


def bear_spans(flag: pd.Series) -> list[tuple[str, str]]:
    """(start, end) of each run of months flagged True, from the month's first day to its period_end."""
    on = flag.fillna(False).astype(bool).to_numpy()
    dates = pd.DatetimeIndex(flag.index)
    spans, begin = [], None
    for i, value in enumerate(on):
        if value and begin is None:
            begin = i
        if begin is not None and (not value or i == len(on) - 1):
            last = i if value else i - 1
            first = dates[begin] - pd.offsets.MonthBegin(1)
            spans.append((first.strftime("%Y-%m-%d"), dates[last].strftime("%Y-%m-%d")))
            begin = None
    return spans


def _slug_part(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug[:60] or "table"


class PageWriter:
    """Collects one page's chart data and table CSVs; :meth:`finish` writes ``<slug>/data.js``."""

    def __init__(self, out_dir: Path, slug: str) -> None:
        self.out_dir = Path(out_dir)
        self.slug = slug
        self.folder = self.out_dir / slug
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data: dict[str, dict] = {}
        self._names: set[str] = set()

    def _unique(self, base: str) -> str:
        name, k = base, 2
        while name in self._names:
            name, k = f"{base}_{k}", k + 1
        self._names.add(name)
        return name

    def chart(self, chart: Chart) -> dict:
        """The template's view of a chart (its spec as JSON); its data goes to ``data.js``."""
        key = self._unique(_slug_part(chart.title))
        frame = chart.frame
        self.data[key] = {
            "x": _x_values(frame.index),
            "series": {str(c): [_json_value(v) for v in frame[c].to_numpy()] for c in frame.columns},
            "shade": bear_spans(chart.shade.reindex(frame.index)) if chart.shade is not None else [],
        }
        spec = {
            "data": key,
            "kind": chart.kind,
            "title": chart.title,
            "y_title": chart.y_title,
            "percent": chart.percent,
            "rolling": chart.rolling,
            "log": chart.log,
        }
        return {"kind": "chart", "id": key, "spec": json.dumps(spec), "title": chart.title}

    def csv(self, frame: pd.DataFrame, name: str) -> str:
        """Write ``frame`` as ``<slug>/<name>.csv`` (dates as YYYY-MM-DD); return its link from the page."""
        key = self._unique(_slug_part(name))
        path = self.folder / f"{key}.csv"
        frame.to_csv(path, index=False, date_format="%Y-%m-%d", float_format="%.10g")
        return f"{self.slug}/{path.name}"

    def finish(self) -> str:
        """Write ``<slug>/data.js``; return its link from the page."""
        path = self.folder / "data.js"
        payload = json.dumps(self.data, separators=(",", ":"), allow_nan=False)
        path.write_text(f"window.MR_DATA = {payload};\n", encoding="utf-8")
        return f"{self.slug}/data.js"


def shown_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with a meaningful index turned into leading columns."""
    return frame if isinstance(frame.index, pd.RangeIndex) else frame.reset_index()


__all__ = ["Chart", "PageWriter", "Table", "bear_spans", "install_static", "shown_frame"]
