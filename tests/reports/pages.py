"""Reading a written report page back: its chart specs (in the HTML) and their data (``<slug>/data.js``)."""

from __future__ import annotations

import html as html_lib
import json
import math
import re
from pathlib import Path


def page_data(folder: Path) -> dict:
    text = (folder / "data.js").read_text(encoding="utf-8")
    return json.loads(text.removeprefix("window.MR_DATA = ").rstrip().rstrip(";"))


def chart_specs(html: str) -> list[dict]:
    return [json.loads(html_lib.unescape(spec)) for spec in re.findall(r'data-spec="([^"]+)"', html)]


def drawn_charts(page: Path) -> dict[str, dict]:
    """Chart title -> its data, for every chart of ``page`` that has at least one finite point to draw."""
    data = page_data(page.with_suffix(""))
    drawn = {}
    for spec in chart_specs(page.read_text(encoding="utf-8")):
        series = data[spec["data"]]["series"]
        if any(isinstance(v, (int, float)) and math.isfinite(v) for values in series.values() for v in values):
            drawn[spec["title"]] = data[spec["data"]]
    return drawn
