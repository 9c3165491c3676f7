"""Published figures as data: the typed records of ``momentum_dag/reports/published.yaml`` and their loader.

Every figure a page shows beside ours lives in that one file (value and unit as printed, source table or
section, sample, universe, and the paper's standard error or t-statistic where it prints one); nothing is
typed into a template or a test. ``load_published(path)`` reads another copy of the file (a test edits
one figure in a temporary copy and sees the page change).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "reports" / "published.yaml"
UNITS = ("percent_per_month", "percent_per_year", "percent", "ratio", "beta", "correlation", "t_stat", "count")
FIGURE_KEYS = {
    "id",
    "page",
    "metric",
    "label",
    "value",
    "unit",
    "source",
    "provenance",
    "t_stat",
    "se",
    "sample",
    "universe",
    "note",
    "weighting",
}
STUDY_KEYS = {"id", "title", "citation", "sample", "universe", "definition", "pages", "figures"}


@dataclass(frozen=True)
class PublishedFigure:
    """One printed figure: ``value`` in ``unit`` as printed; ``se`` or ``t_stat`` as printed (or None)."""

    study: str
    id: str
    page: str | None
    metric: str
    label: str
    value: float
    unit: str
    source: str
    sample: str
    universe: str
    provenance: str = ""
    t_stat: float | None = None
    se: float | None = None
    note: str = ""
    weighting: str | None = None

    @property
    def standard_error(self) -> float | None:
        """The paper's own standard error: ``se`` when printed, else |value / t| (None without either)."""
        if self.se is not None:
            return abs(self.se)
        if self.t_stat is not None and self.t_stat != 0:
            return abs(self.value / self.t_stat)
        return None


@dataclass(frozen=True)
class PublishedStudy:
    """A paper or report and its figures; ``pages`` lists the report pages that show them."""

    id: str
    title: str
    citation: str
    sample: str
    universe: str
    definition: str
    pages: tuple[str, ...]
    figures: tuple[PublishedFigure, ...]

    def for_page(self, page: str) -> list[PublishedFigure]:
        """Figures shown on ``page``: those naming it, and those naming no page when the study lists it."""
        return [f for f in self.figures if f.page == page or (f.page is None and page in self.pages)]


def load_published(path: str | Path | None = None) -> dict[str, PublishedStudy]:
    """Studies by id from the published-figures YAML (default: the one shipped in the package).

    Raises ValueError naming the file and the figure for an unknown key, a missing field, a non-numeric
    value, an unknown unit or a duplicated id.
    """
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.is_file():
        raise ValueError(f"published figures file not found: {path}")
    text = path.read_text(encoding="utf-8")
    # a month's run renders ~20 pages that each read this file: parse each text once per process (a
    # page's rows and figures are frozen records, so the studies can be shared; a new dict per call)
    cached = _PARSED.get((str(path), text))
    if cached is not None:
        return dict(cached)
    studies = _parse(text, path)
    _PARSED.clear()  # one file's text at a time: an edited file replaces it
    _PARSED[(str(path), text)] = studies
    return dict(studies)


_PARSED: dict[tuple[str, str], dict[str, PublishedStudy]] = {}


def _parse(text: str, path: Path) -> dict[str, PublishedStudy]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(document, dict) or not isinstance(document.get("studies"), list):
        raise ValueError(f"{path}: expected a mapping with a 'studies' list")
    studies: dict[str, PublishedStudy] = {}
    for raw in document["studies"]:
        study = _study(raw, path)
        if study.id in studies:
            raise ValueError(f"{path}: study id {study.id!r} appears twice")
        studies[study.id] = study
    return studies


def _study(raw: object, path: Path) -> PublishedStudy:
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: every study must be a mapping, got {raw!r}")
    where = f"{path}: study {raw.get('id', '?')!r}"
    unknown = set(raw) - STUDY_KEYS
    missing = {"id", "title", "citation", "sample", "universe", "figures"} - set(raw)
    if unknown or missing:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    figures, seen = [], set()
    for item in raw["figures"]:
        figure = _figure(item, raw, where)
        if figure.id in seen:
            raise ValueError(f"{where}: figure id {figure.id!r} appears twice")
        seen.add(figure.id)
        figures.append(figure)
    return PublishedStudy(
        id=str(raw["id"]),
        title=str(raw["title"]),
        citation=str(raw["citation"]),
        sample=str(raw["sample"]),
        universe=str(raw["universe"]),
        definition=str(raw.get("definition", "")),
        pages=tuple(str(p) for p in raw.get("pages", [])),
        figures=tuple(figures),
    )


def _number(value: object, name: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be a finite number, got {value!r}")
    return float(value)


def _figure(item: object, study: dict, where: str) -> PublishedFigure:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: every figure must be a mapping, got {item!r}")
    where = f"{where}, figure {item.get('id', '?')!r}"
    unknown = set(item) - FIGURE_KEYS
    missing = {"id", "metric", "label", "value", "unit", "source"} - set(item)
    if unknown or missing:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    if item["unit"] not in UNITS:
        raise ValueError(f"{where}: unit must be one of {UNITS}, got {item['unit']!r}")
    if item.get("weighting") not in (None, "equal", "cap"):
        raise ValueError(f"{where}: weighting must be 'equal' or 'cap', got {item['weighting']!r}")
    return PublishedFigure(
        study=str(study["id"]),
        id=str(item["id"]),
        page=None if item.get("page") is None else str(item["page"]),
        metric=str(item["metric"]),
        label=str(item["label"]),
        value=_number(item["value"], "value", where),
        unit=str(item["unit"]),
        source=str(item["source"]),
        sample=str(item.get("sample", study["sample"])),
        universe=str(item.get("universe", study["universe"])),
        provenance=str(item.get("provenance", "")),
        t_stat=_number(item.get("t_stat"), "t_stat", where),
        se=_number(item.get("se"), "se", where),
        note=str(item.get("note", "")),
        weighting=item.get("weighting"),
    )


def figures_for_page(page: str, studies: dict[str, PublishedStudy]) -> tuple[PublishedStudy | None, list]:
    """The study whose figures ``page`` shows, and those figures (None, [] for a page without any)."""
    for study in studies.values():
        figures = study.for_page(page)
        if figures:
            return study, figures
    return None, []
