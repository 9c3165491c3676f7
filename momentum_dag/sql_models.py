"""The dbt-like runner: every ``dbt_like_sql/models/**/*.sql`` file becomes one Dagster asset.

Jinja (``jinja2``) renders ``{{ ref('model') }}``, ``{{ source('raw', 'table') }}`` and the partition
bounds ``{{ window_start }}`` / ``{{ window_end }}`` (rendered as DuckDB bind parameters, never as
literals). Dependencies are read from the ``ref``/``source`` calls, so the graph is never hand-written.
``schema.yml`` gives each model its materialization (``view``, ``table`` or ``partitioned``), its
description and column tests (``not_null``, ``unique``, ``accepted_range``), which become asset checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path

import jinja2
import yaml

SQL_ROOT = Path(str(resources.files("dbt_like_sql")))
MATERIALIZATIONS = ("view", "table", "partitioned")


@dataclass(frozen=True)
class ColumnTest:
    """One schema.yml test: ``not_null`` / ``accepted_range`` on a column, ``null_when: <flag>`` (the column
    is NULL exactly where the boolean column ``flag`` is true), ``unique`` on a key."""

    kind: str
    columns: tuple[str, ...]
    min_value: float | None = None
    max_value: float | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}__{'__'.join(self.columns)}"

    def describe(self) -> str:
        """What the check requires of every row of the model, with its bounds (the check's description)."""
        column = self.columns[0]
        if self.kind == "not_null":
            rule = f"{column} is never NULL"
        elif self.kind == "null_when":
            rule = f"{column} is NULL exactly on the rows where {self.columns[1]} is true"
        elif self.kind == "unique":
            rule = f"at most one row per ({', '.join(self.columns)})"
        elif self.kind == "accepted_range":
            low = "" if self.min_value is None else f"{self.min_value:g} <= "
            high = "" if self.max_value is None else f" <= {self.max_value:g}"
            rule = f"{low}{column}{high} (NULL allowed)"
        else:
            rule = f"{self.kind} on {', '.join(self.columns)}"
        return f"{rule}, on every row of the table. Blocking: downstream assets wait for it."


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
    partitions: str = "monthly"
    lookback_days: int = 0
    refs: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    tests: tuple[ColumnTest, ...] = field(default_factory=tuple)

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"


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
        ref=ref, source=source, window_start="$window_start", window_end="$window_end",
        lookback_start="$lookback_start",
    )
    return tuple(dict.fromkeys(refs)), tuple(dict.fromkeys(sources))


def _parse_tests(spec: dict, model_name: str) -> tuple[ColumnTest, ...]:
    tests: list[ColumnTest] = []
    for column in spec.get("columns", []):
        for test in column.get("tests", []):
            if test == "not_null":
                tests.append(ColumnTest("not_null", (column["name"],)))
            elif isinstance(test, dict) and "null_when" in test:
                tests.append(ColumnTest("null_when", (column["name"], str(test["null_when"]))))
            elif isinstance(test, dict) and "accepted_range" in test:
                bounds = test["accepted_range"]
                tests.append(
                    ColumnTest(
                        "accepted_range", (column["name"],), bounds.get("min_value"), bounds.get("max_value")
                    )
                )
            else:
                raise ValueError(f"schema.yml: model {model_name}, column {column['name']}: unknown test {test!r}")
    for test in spec.get("tests", []):
        if isinstance(test, dict) and "unique" in test:
            tests.append(ColumnTest("unique", tuple(test["unique"])))
        else:
            raise ValueError(f"schema.yml: model {model_name}: unknown model test {test!r}")
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
    return models


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


def check_sql(test: ColumnTest, table: str) -> str:
    """SQL counting the rows that fail ``test`` (0 means the check passes)."""
    cols = ", ".join(test.columns)
    if test.kind == "not_null":
        return f"select count(*) from {table} where {test.columns[0]} is null"
    if test.kind == "null_when":
        column, flag = test.columns
        return f"select count(*) from {table} where ({column} is null) <> coalesce({flag}, false)"
    if test.kind == "unique":
        return f"select count(*) from (select {cols} from {table} group by {cols} having count(*) > 1)"
    if test.kind == "accepted_range":
        conditions = []
        if test.min_value is not None:
            conditions.append(f"{test.columns[0]} < {float(test.min_value)!r}")
        if test.max_value is not None:
            conditions.append(f"{test.columns[0]} > {float(test.max_value)!r}")
        return f"select count(*) from {table} where {' or '.join(conditions) or 'false'}"
    raise ValueError(f"unknown test kind {test.kind!r}")


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


def materialize(conn, model: SqlModel, models: dict[str, SqlModel], start=None, end=None):
    """Build one model: (re)create a view/table, or replace the window [start, end) of a partitioned one.

    Returns the :class:`~momentum_dag.warehouse.WriteResult` of a partitioned model, else ``None``.
    """
    from momentum_dag.warehouse import ensure_schemas, write_window_sql

    sql = render(model, models)
    if model.materialized == "partitioned":
        if start is None or end is None:
            raise ValueError(f"partitioned model {model.name} needs a window [start, end)")
        params = {
            "window_start": start,
            "window_end": end,
            "lookback_start": start - timedelta(days=model.lookback_days),
        }
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        return write_window_sql(conn, model.table, sql, used, date_column=model.date_column, start=start, end=end)
    conn.execute("begin transaction")
    try:
        ensure_schemas(conn)
        kind = "view" if model.materialized == "view" else "table"
        conn.execute(f"create or replace {kind} {model.table} as {sql}")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return None
