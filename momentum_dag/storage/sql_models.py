"""The dbt-like runner: every ``dbt_like_sql/models/**/*.sql`` file becomes one Dagster asset.

Jinja (``jinja2``) renders ``{{ ref('model') }}``, ``{{ source('raw', 'table') }}`` and the partition
bounds ``{{ window_start }}`` / ``{{ window_end }}`` (rendered as DuckDB bind parameters, never as
literals). Dependencies are read from the ``ref``/``source`` calls, so the graph is never hand-written.
``schema.yml`` gives each model its materialization (``view``, ``table`` or ``partitioned``), its
description and its tests (``not_null``, ``null_when``, ``unique``, ``accepted_range``, ``expression``,
``relationships``, ``no_calendar_gaps``, each with a ``severity``: ``error`` blocks, ``warn`` reports), which
become asset checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from importlib import resources
from pathlib import Path

import jinja2
import yaml

from momentum_dag.partitions import chunk_windows
from momentum_dag.storage.lake import in_transaction, mark_write
from momentum_dag.storage.windows import ensure_schemas, write_window_sql

SQL_ROOT = Path(str(resources.files("dbt_like_sql")))
MATERIALIZATIONS = ("view", "table", "partitioned")


SEVERITIES = ("error", "warn")
"""``error`` (the default): data that cannot be right; the check blocks downstream assets. ``warn``: data that
is rare but possible (a plausibility range); the check is reported (severity WARN) and never blocks."""

SAMPLE_ROWS = 20
"""How many failing rows a check lists in its metadata."""

_OPTIONS = {
    "not_null": {"severity", "description"},
    "unique": {"columns", "severity", "description"},
    "accepted_range": {"min_value", "max_value", "severity", "description"},
    "null_when": {"flag", "severity", "description"},
    "expression": {"name", "expression", "severity", "description", "show"},
    "relationships": {"to", "field", "severity", "description"},
    "no_calendar_gaps": {"column", "calendar", "calendar_column", "severity", "description"},
}


@dataclass(frozen=True)
class ColumnTest:
    """One schema.yml test, run as a Dagster asset check. ``failing_rows_sql`` selects the rows that fail it.

    Kinds: ``not_null`` and ``accepted_range`` on a column; ``null_when: <flag>`` (the column is NULL exactly
    where the boolean column ``flag`` is true); ``unique`` on a key; ``expression`` (a SQL
    condition every row must satisfy; NULL counts as satisfied, as in dbt); ``relationships`` (every value
    of the column is a ``field`` value of model ``to``); ``no_calendar_gaps`` (every trading day of the
    ``calendar`` model in the checked range has at least one row). ``severity`` ``error`` blocks, ``warn``
    does not (:data:`SEVERITIES`).
    """

    kind: str
    columns: tuple[str, ...]
    min_value: float | None = None
    max_value: float | None = None
    severity: str = "error"
    expression: str | None = None
    check_name: str | None = None
    ref_model: str | None = None
    ref_table: str | None = None
    ref_column: str | None = None
    note: str = ""
    show: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.check_name or f"{self.kind}__{'__'.join(self.columns)}"

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    @property
    def rule(self) -> str:
        """What the check requires, bounds included, in words."""
        col = self.columns[0] if self.columns else ""
        if self.kind == "not_null":
            return f"{col} is never NULL"
        if self.kind == "null_when":
            return f"{col} is NULL exactly where {self.columns[1]} is true"
        if self.kind == "unique":
            return f"one row per ({', '.join(self.columns)})"
        if self.kind == "accepted_range":
            if self.min_value is not None and self.max_value is not None:
                return f"{col} within [{self.min_value:g}, {self.max_value:g}]"
            if self.min_value is not None:
                return f"{col} >= {self.min_value:g}"
            return f"{col} <= {self.max_value:g}"
        if self.kind == "expression":
            return f"every row satisfies `{self.expression}`"
        if self.kind == "relationships":
            return f"every {col} is a {self.ref_column} of {self.ref_model}"
        if self.kind == "no_calendar_gaps":
            return f"every trading day of {self.ref_model}.{self.ref_column} in the checked range has rows ({col})"
        raise ValueError(f"unknown test kind {self.kind!r}")

    def describe(self, partitioned: bool, scope: str | None = None) -> str:
        """The check's description in the UI: severity, rule with its bounds, scope (``scope`` overrides the
        partitioned/every-row wording), and why."""
        if self.blocking:
            head = "ERROR, blocks downstream assets"
        else:
            head = "WARN, never blocks (a plausibility range: look, then decide)"
        scope = scope or ("the rows of the run's partition window" if partitioned else "every row")
        text = f"{head}. Requires: {self.rule}; checked on {scope}."
        return f"{text} {self.note}" if self.note else text


def _test_items(items, where: str):
    """(kind, options) per schema.yml test entry: ``not_null`` or ``{kind: options}``."""
    for item in items or []:
        if isinstance(item, str):
            yield item, {}
        elif isinstance(item, dict) and len(item) == 1:
            kind, options = next(iter(item.items()))
            yield kind, options
        else:
            raise ValueError(f"schema.yml: {where}: a test is a name or a one-key mapping, got {item!r}")


def _make_test(kind: str, options, where: str, column: str | None) -> ColumnTest:
    if kind not in _OPTIONS:
        raise ValueError(f"schema.yml: {where}: unknown test {kind!r} (known: {sorted(_OPTIONS)})")
    if kind == "unique" and isinstance(options, list):
        options = {"columns": options}
    if kind == "null_when" and isinstance(options, str):
        options = {"flag": options}
    options = dict(options or {})
    unknown = set(options) - _OPTIONS[kind]
    if unknown:
        raise ValueError(f"schema.yml: {where}: test {kind} has unknown option(s) {sorted(unknown)}")
    severity = str(options.get("severity", "error")).lower()
    if severity not in SEVERITIES:
        raise ValueError(f"schema.yml: {where}: test {kind}: severity must be one of {SEVERITIES}, got {severity!r}")
    common = {"severity": severity, "note": str(options.get("description", "")).strip()}
    if kind in ("not_null", "null_when", "accepted_range", "relationships") and column is None:
        raise ValueError(f"schema.yml: {where}: test {kind} belongs under a column")
    if kind == "not_null":
        return ColumnTest(kind, (column,), **common)
    if kind == "null_when":
        if not options.get("flag"):
            raise ValueError(f"schema.yml: {where}: null_when needs the boolean column, e.g. null_when: is_suspended")
        return ColumnTest(kind, (column, str(options["flag"])), **common)
    if kind == "accepted_range":
        low, high = options.get("min_value"), options.get("max_value")
        if low is None and high is None:
            raise ValueError(f"schema.yml: {where}: accepted_range needs min_value and/or max_value")
        return ColumnTest(kind, (column,), low, high, **common)
    if kind == "unique":
        columns = tuple(options.get("columns") or ([column] if column else []))
        if not columns:
            raise ValueError(f"schema.yml: {where}: unique needs its key columns")
        return ColumnTest(kind, columns, **common)
    if kind == "relationships":
        if "to" not in options:
            raise ValueError(f"schema.yml: {where}: relationships needs `to` (a model)")
        return ColumnTest(kind, (column,), ref_model=options["to"], ref_column=options.get("field", column), **common)
    if kind == "no_calendar_gaps":
        col = options.get("column", column)
        if not col or "calendar" not in options:
            raise ValueError(f"schema.yml: {where}: no_calendar_gaps needs `column` and `calendar` (a model)")
        return ColumnTest(
            kind, (col,), ref_model=options["calendar"], ref_column=options.get("calendar_column", col), **common
        )
    # expression
    if not options.get("name") or not options.get("expression"):
        raise ValueError(f"schema.yml: {where}: expression needs `name` and `expression`")
    return ColumnTest(
        kind,
        (column,) if column else (),
        expression=str(options["expression"]).strip(),
        check_name=str(options["name"]),
        show=tuple(options.get("show", ())),
        **common,
    )


@dataclass(frozen=True)
class SqlModel:
    """A parsed model: its SQL template, layer (schema), materialization, and derived dependencies."""

    name: str
    layer: str
    path: Path
    sql: str
    materialized: str
    description: str
    date_column: str | None = None
    check_window: str | None = None
    """A view over a table written month by month: its checks in a monthly run cover the months the run
    wrote, by this date column (the other months' rows are as their own runs checked them)."""
    partitions: str = "monthly"
    lookback_days: int = 0
    refs: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    tests: tuple[ColumnTest, ...] = field(default_factory=tuple)

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def check_scope(self) -> str | None:
        """The checks' scope in words when it is not the usual one (a view with :attr:`check_window`)."""
        if self.check_window is None:
            return None
        return f"the rows of the months a monthly run wrote (by {self.check_window}); every row in any other run"

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The columns of the model's first ``unique`` test (its grain), or none."""
        return next((t.columns for t in self.tests if t.kind == "unique"), ())


def _environment() -> jinja2.Environment:
    """Jinja for the models: undefined names are errors; ``macros/*.sql`` can be imported (with context)."""
    return jinja2.Environment(undefined=jinja2.StrictUndefined, loader=jinja2.FileSystemLoader(SQL_ROOT / "macros"))


def _dependencies(sql: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Render once with recording ``ref``/``source`` to learn what the model reads."""
    refs: list[str] = []
    sources: list[tuple[str, str]] = []

    def ref(name: str) -> str:
        refs.append(name)
        return name

    def source(schema: str, name: str) -> str:
        sources.append((schema, name))
        return f"{schema}.{name}"

    _environment().from_string(sql).render(
        ref=ref,
        source=source,
        window_start="$window_start",
        window_end="$window_end",
        lookback_start="$lookback_start",
    )
    return tuple(dict.fromkeys(refs)), tuple(dict.fromkeys(sources))


def _parse_tests(spec: dict, model_name: str) -> tuple[ColumnTest, ...]:
    tests: list[ColumnTest] = []
    for column in spec.get("columns", []):
        where = f"model {model_name}, column {column['name']}"
        for kind, options in _test_items(column.get("tests"), where):
            tests.append(_make_test(kind, options, where, column["name"]))
    for kind, options in _test_items(spec.get("tests"), f"model {model_name}"):
        tests.append(_make_test(kind, options, f"model {model_name}", None))
    names = [t.name for t in tests]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"schema.yml: model {model_name}: two tests named {duplicated}")
    return tuple(tests)


def load_models(root: Path = SQL_ROOT) -> dict[str, SqlModel]:
    """Parse ``schema.yml`` and every model file under ``root/models``; fail loudly on mismatches."""
    schema = yaml.safe_load((root / "schema.yml").read_text())
    specs = {m["name"]: m for m in schema["models"]}
    files = {p.stem: p for p in sorted((root / "models").rglob("*.sql"))}
    missing = sorted(set(files) - set(specs))
    if missing:
        raise ValueError(f"schema.yml has no entry for model file(s): {missing}")
    orphans = sorted(set(specs) - set(files))
    if orphans:
        raise ValueError(f"schema.yml describes models with no .sql file: {orphans}")
    models: dict[str, SqlModel] = {}
    for name, path in files.items():
        spec = specs[name]
        materialized = spec.get("materialized", "view")
        if materialized not in MATERIALIZATIONS:
            raise ValueError(f"schema.yml: model {name}: materialized must be one of {MATERIALIZATIONS}")
        partition = spec.get("partition", {})
        if materialized == "partitioned" and "date_column" not in partition:
            raise ValueError(f"schema.yml: partitioned model {name} needs partition.date_column")
        if partition.get("partitions", "monthly") not in ("monthly", "weekly"):
            raise ValueError(f"schema.yml: model {name}: partition.partitions must be monthly or weekly")
        check_window = spec.get("check_window")
        if check_window is not None and materialized != "view":
            raise ValueError(f"schema.yml: model {name}: check_window is for views (a table is checked by its window)")
        sql = path.read_text()
        refs, sources = _dependencies(sql)
        models[name] = SqlModel(
            name=name,
            layer=path.parent.name,
            path=path,
            sql=sql,
            materialized=materialized,
            description=spec.get("description", "").strip(),
            date_column=partition.get("date_column"),
            check_window=check_window,
            partitions=partition.get("partitions", "monthly"),
            lookback_days=int(partition.get("lookback_days", 0)),
            refs=refs,
            sources=sources,
            tests=_parse_tests(spec, name),
        )
    for model in models.values():
        unknown = [r for r in model.refs if r not in models]
        if unknown:
            raise ValueError(f"model {model.name} refs unknown model(s) {unknown}")
    for name, model in models.items():
        models[name] = replace(model, tests=tuple(_resolve(t, models, name) for t in model.tests))
    return models


def _resolve(test: ColumnTest, models: dict[str, SqlModel], model_name: str) -> ColumnTest:
    """A relationships/no_calendar_gaps test with its other model's table filled in."""
    if test.ref_model is None:
        return test
    if test.ref_model not in models:
        raise ValueError(f"schema.yml: model {model_name}: test {test.name} names unknown model {test.ref_model!r}")
    return replace(test, ref_table=models[test.ref_model].table)


def render(model: SqlModel, models: dict[str, SqlModel]) -> str:
    """The model's SQL with refs/sources resolved to tables and window bounds as bind parameters."""
    env = _environment()
    ref: Callable[[str], str] = lambda name: models[name].table  # noqa: E731
    return env.from_string(model.sql).render(
        ref=ref,
        source=lambda schema, name: f"{schema}.{name}",
        window_start="$window_start",
        window_end="$window_end",
        lookback_start="$lookback_start",
    )


def failing_rows_sql(test: ColumnTest, table: str, date_column: str | None = None) -> str:
    """SQL selecting the rows that fail ``test`` (none: the check passes).

    With ``date_column`` the check covers the rows of the partition window only, given as the bind
    parameters ``$window_start`` / ``$window_end`` (a partitioned model's run checks what it wrote);
    without it, the whole table.
    """
    window = f"{date_column} >= $window_start and {date_column} < $window_end" if date_column else None
    rows = f"(select * from {table}{f' where {window}' if window else ''})"
    col = test.columns[0] if test.columns else None
    if test.kind == "not_null":
        return f"select * from {rows} where {col} is null"
    if test.kind == "null_when":
        return f"select * from {rows} where ({col} is null) <> coalesce({test.columns[1]}, false)"
    if test.kind == "unique":
        cols = ", ".join(test.columns)
        return f"select {cols}, count(*) as n_rows from {rows} group by {cols} having count(*) > 1"
    if test.kind == "accepted_range":
        conditions = []
        if test.min_value is not None:
            conditions.append(f"{col} < {float(test.min_value)!r}")
        if test.max_value is not None:
            conditions.append(f"{col} > {float(test.max_value)!r}")
        return f"select * from {rows} where {' or '.join(conditions)}"
    if test.kind == "expression":
        return (
            f"select * exclude (_passes) from (select *, ({test.expression}) as _passes from {rows}) where not _passes"
        )
    if test.kind == "relationships":
        return (
            f"select {col}, count(*) as n_rows from {rows} r where {col} is not null and not exists "
            f"(select 1 from {test.ref_table} o where o.{test.ref_column} = r.{col}) group by {col}"
        )
    if test.kind == "no_calendar_gaps":
        day = test.ref_column
        if window:
            in_range = f"{day} >= $window_start and {day} < $window_end"
        else:
            in_range = f"{day} between (select min({col}) from {rows}) and (select max({col}) from {rows})"
        return (
            f"select distinct {day} as missing_day from {test.ref_table} c where {in_range} and not exists "
            f"(select 1 from {rows} r where r.{col} = c.{day})"
        )
    raise ValueError(f"unknown test kind {test.kind!r}")


def count_failing(
    conn,
    test: ColumnTest,
    table: str,
    date_column: str | None = None,
    params: dict | None = None,
    chunks: Sequence[tuple] = (),
) -> int:
    """The number of rows of ``failing_rows_sql(test, table, date_column)`` for the window in ``params``.

    A ``unique`` test whose key holds the date column cannot find a duplicate across two sub-windows, so it
    is counted on each of ``chunks`` (consecutive sub-windows covering the window) and summed: a 20-year
    backfill's daily key is then many small hash aggregates instead of one over every row (22.5 M keys at
    5,000 stocks)."""
    failing_sql = failing_rows_sql(test, table, date_column)
    params = params or {}
    used = {k: v for k, v in params.items() if f"${k}" in failing_sql}
    count = f"select count(*) from ({failing_sql})"
    if test.kind == "unique" and date_column in test.columns and len(chunks) > 1 and used:
        return sum(
            int(conn.execute(count, {"window_start": lo, "window_end": hi}).fetchall()[0][0]) for lo, hi in chunks
        )
    return int(conn.execute(count, used).fetchall()[0][0])


def check_sql(test: ColumnTest, table: str) -> str:
    """SQL counting the rows of the whole table that fail ``test`` (0 means the check passes)."""
    return f"select count(*) from ({failing_rows_sql(test, table)})"


def sample_columns(test: ColumnTest, key: tuple[str, ...], table_columns: list[str]) -> list[str] | None:
    """The columns a failing-row sample shows: the model's key and the columns the test reads (None: every
    column of the failing-rows query, for tests whose rows are already narrow)."""
    if test.kind in ("unique", "relationships", "no_calendar_gaps"):
        return None
    if test.show:
        wanted = [*key, *test.show]
    else:
        text = test.expression or ""
        mentioned = [c for c in table_columns if re.search(rf"\b{re.escape(c)}\b", text)]
        wanted = [*key, *test.columns, *mentioned]
    return [c for c in dict.fromkeys(wanted) if c in table_columns]


def topological_order(models: dict[str, SqlModel]) -> list[SqlModel]:
    """Models ordered so every model comes after the models it refs."""
    ordered: list[SqlModel] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise ValueError(f"ref cycle: {' -> '.join((*path, name))}")
        if name in seen:
            return
        for ref in models[name].refs:
            visit(ref, (*path, name))
        seen.add(name)
        ordered.append(models[name])

    for name in sorted(models):
        visit(name, ())
    return ordered


def materialize(conn, model: SqlModel, models: dict[str, SqlModel], start=None, end=None, chunk_months=None):
    """Build one model: (re)create a view/table, or replace the window [start, end) of a partitioned one.

    With ``chunk_months`` a partitioned model's window is computed in consecutive chunks of that many months
    (whole weeks for a weekly model), each from its own lookback, inside the one transaction: the rows are
    those of one-month runs, and the memory a statement needs is one chunk's, not the whole range's.
    Returns the :class:`~momentum_dag.storage.WriteResult` of a partitioned model, else ``None``.
    """
    sql = render(model, models)
    if model.materialized == "partitioned":
        if start is None or end is None:
            raise ValueError(f"partitioned model {model.name} needs a window [start, end)")

        def params(lo, hi):
            bound = {"window_start": lo, "window_end": hi, "lookback_start": lo - timedelta(days=model.lookback_days)}
            return {k: v for k, v in bound.items() if f"${k}" in sql}

        if "$window_start" not in sql or "$window_end" not in sql:
            chunk_months = None  # a model that does not bound its rows by the window cannot be cut
        windows = chunk_windows(start, end, chunk_months, weekly=model.partitions == "weekly")
        return write_window_sql(
            conn,
            model.table,
            sql,
            [params(lo, hi) for lo, hi in windows],
            date_column=model.date_column,
            start=start,
            end=end,
        )
    kind = "view" if model.materialized == "view" else "table"

    def body() -> None:
        ensure_schemas(conn)
        mark_write(conn, [model.table])
        conn.execute(f"create or replace {kind} {model.table} as {sql}")

    in_transaction(conn, body, what=f"creating {kind} {model.table}")
    return None
