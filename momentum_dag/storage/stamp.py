"""The version stamp: a warehouse of this code's :data:`SCHEMA_VERSION`, or a run that stops before writing.

Before a connection is used, :func:`verify_warehouse` checks that the file is a momentum_dag warehouse of
this code's :data:`SCHEMA_VERSION` (a new file is stamped with it), so a foreign or older file stops the run
before anything is written. The columns a layer promises for its tables (the raw contract, declared by
:mod:`momentum_dag.sources.contract` with :func:`declare_columns`) are checked too, so a renamed column
stops the run even under the right stamp. The storage layer knows no table of its own beyond the stamp.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from momentum_dag.storage.connection import REBUILD, WarehouseVersionError
from momentum_dag.storage.lake import in_transaction

SCHEMAS = ("raw", "staging", "marts", "barra", "factors", "models", "eval", "meta")

PROJECT = "momentum_dag"
META_TABLE = "meta.warehouse"
SCHEMA_VERSION = 6
"""The layout of the tables this code reads and writes. Bump it (and add a line to
:data:`SCHEMA_HISTORY`) whenever a table's columns or their meaning change: a warehouse stamped with another
version then stops every run with :class:`WarehouseVersionError`, before anything is written."""
SCHEMA_HISTORY = {
    1: "before the version stamp (issue 11): no meta.warehouse table",
    2: (
        "meta.warehouse stamp; marts.industry_daily gains cw_weight_sum; NULL returns on suspended days in "
        "marts.stock_returns_daily; models.dmom_features"
    ),
    3: (
        "barra.factor_returns_* regressed with weights sqrt(float cap) (version 2 weighted by cap), and the "
        "factors and models computed from them (residual momentum, industry idiosyncratic momentum, factor momentum)"
    ),
    4: (
        "eval.<factor>_periods gains long_short_turnover_ew/_cw (both legs' sum of absolute weight changes); "
        "eval.summary gains long_short_turnover, cost_bps, long_short_net_ann_return, long_short_net_sharpe"
    ),
    5: (
        "models.dmom_features: a week counts at the month end that is its last trading day, durations over "
        "12 traded periods however far back; factors.dmom*: every eligible stock scored"
    ),
    6: (
        "factors.momentum_amplitude_cut divided by the recent volatility by default; factors.momentum_pca "
        "dated on week ends only, an industry dropped only with fewer than 8 full-window constituents"
    ),
}


_DECLARED: dict[str, tuple[tuple[str, ...], str]] = {}


def declare_columns(tables: Mapping[str, Sequence[str]], *, contract: str) -> None:
    """Declare the columns, in order, of tables (``schema.name``) a layer writes, and where that layer states
    them (``contract``, named in the error); :func:`verify_warehouse` refuses a file whose existing tables
    have other columns. Called by the owning layer when it is imported (the raw contract)."""
    for table, columns in tables.items():
        _DECLARED[table] = (tuple(columns), contract)


def _user_objects(conn) -> list[str]:
    """``schema.name`` of every table and view in the open database (not temporary, not DuckDB's own)."""
    rows = conn.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where not internal and not temporary and database_name = current_database() "
        "union all select schema_name || '.' || view_name from duckdb_views() "
        "where not internal and not temporary and database_name = current_database()"
    ).fetchall()
    return sorted(r[0] for r in rows)


def verify_warehouse(conn, path: str | Path, *, stamp: bool = True) -> None:
    """Stop unless ``conn`` is a momentum_dag warehouse of :data:`SCHEMA_VERSION`; stamp a new, empty file.

    A file without a stamp is new (nothing in it: stamped now when ``stamp``), older than the stamp
    (momentum_dag tables: version 1), or foreign (other tables). The columns of every existing table
    declared with :func:`declare_columns` (the raw contract) are also compared, so a renamed or missing
    column stops the run even under the right stamp.
    Raises :class:`WarehouseVersionError` naming what was found and how to rebuild.

    Every connection is checked, so the usual case (a stamped warehouse) costs one catalog query and one
    read of the stamp; the slower look at every object runs only for a file without a stamp.
    """
    columns = _stamp_and_declared_columns(conn)
    if tuple(META_TABLE.split(".")) in columns:
        rows = conn.execute(f"select project, schema_version, written_by from {META_TABLE}").fetchall()
        if len(rows) != 1 or rows[0][0] != PROJECT:
            raise WarehouseVersionError(
                f"{path} is a DuckDB database of another project ({META_TABLE}: {rows}), not a {PROJECT} "
                "warehouse. Nothing was written. " + REBUILD.format(path=path)
            )
        found, written_by = int(rows[0][1]), rows[0][2]
        if found != SCHEMA_VERSION:
            _version_mismatch(path, found, f"stamped by {PROJECT} {written_by}")
    else:
        objects = _user_objects(conn)
        if META_TABLE in objects:  # another process stamped this new DuckLake between the two reads
            return verify_warehouse(conn, path, stamp=stamp)
        if not objects:
            if stamp:
                _stamp(conn)
            return
        ours = [o for o in objects if o.split(".")[0] in SCHEMAS]
        if len(ours) < len(objects):
            foreign = [o for o in objects if o not in ours][:5]
            raise WarehouseVersionError(
                f"{path} is a DuckDB database of another application (tables such as {foreign}; no "
                f"{META_TABLE} stamp), not a {PROJECT} warehouse. Nothing was written. "
                "Point MOMENTUM_DUCKDB_PATH at a new file (it is created and stamped on first use)."
            )
        _version_mismatch(path, 1, f"no {META_TABLE} stamp: written before schema versioning")
    _check_declared_columns(columns, path)


def _stamp_and_declared_columns(conn) -> dict[tuple[str, str], list[str]]:
    """Columns, in order, of every table in the stamp's schema and in the schemas of declared tables: one
    catalog query."""
    schemas = sorted({META_TABLE.split(".")[0], *(table.split(".")[0] for table in _DECLARED)})
    rows = conn.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and list_contains(?, schema_name) "
        "order by schema_name, table_name, column_index",
        [schemas],
    ).fetchall()
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        columns.setdefault((schema, table), []).append(column)
    return columns


def _version_mismatch(path, found: int, how: str) -> None:
    if found > SCHEMA_VERSION:
        advice = (
            "This code is older than the warehouse: update momentum_dag (git pull, pip install -e .) or point "
            "MOMENTUM_DUCKDB_PATH at another file. Nothing was written."
        )
    else:
        advice = "Nothing was written; the tables this code writes have changed since. " + REBUILD.format(path=path)
    raise WarehouseVersionError(
        f"{path} is a {PROJECT} warehouse of schema version {found} ({how}; "
        f"{SCHEMA_HISTORY.get(found, 'a version this code does not know')}), but this code reads and writes "
        f"version {SCHEMA_VERSION} ({SCHEMA_HISTORY[SCHEMA_VERSION]}). {advice}"
    )


def _stamp(conn) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        written_by = version(PROJECT)
    except PackageNotFoundError:
        written_by = "unknown"

    def body() -> None:
        conn.execute("create schema if not exists meta")
        # no timestamp: two warehouses written by the same code are identical, stamp included
        if conn.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'meta' and table_name = 'warehouse'"
        ).fetchall()[0][0]:
            return  # another process of a DuckLake stamped it first (this is the retry)
        conn.execute(
            f"create table {META_TABLE} (project VARCHAR NOT NULL, schema_version INTEGER NOT NULL, written_by VARCHAR)"
        )
        conn.execute(f"insert into {META_TABLE} values (?, ?, ?)", [PROJECT, SCHEMA_VERSION, written_by])

    in_transaction(conn, body, what="stamping the warehouse")


def _check_declared_columns(columns: dict[tuple[str, str], list[str]], path) -> None:
    problems, contracts = [], []
    for table, (declared, contract) in _DECLARED.items():
        found = columns.get(tuple(table.split(".")))
        if found is None:
            continue
        missing = [c for c in declared if c not in found]
        extra = [c for c in found if c not in declared]
        if missing or extra:
            problems.append(f"{table}: missing {missing}, unexpected {extra}")
            if contract not in contracts:
                contracts.append(contract)
    if problems:
        raise WarehouseVersionError(
            f"{path} has tables whose columns differ from {' and '.join(contracts)}: {'; '.join(problems)}. It was "
            f"written by another version of {PROJECT} (or edited by hand). Nothing was written. "
            + REBUILD.format(path=path)
        )
