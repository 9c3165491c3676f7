"""One Dagster asset per dbt_like_sql model, with schema.yml tests as blocking asset checks.

Views and tables are rebuilt whole; partitioned models replace their window in one transaction inside
DuckDB (``warehouse.write_window_sql``). Dependencies come from the models' ``ref``/``source`` calls.
"""

from __future__ import annotations

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from momentum_dag.assets.common import shift_days, window_dates, write_metadata
from momentum_dag.partitions import monthly_partitions
from momentum_dag.sql_models import SqlModel, check_sql, load_models, render
from momentum_dag.warehouse import Warehouse, ensure_schemas, write_window_sql


def model_key(model: SqlModel) -> AssetKey:
    return AssetKey([model.layer, model.name])


def _deps(model: SqlModel, models: dict[str, SqlModel]) -> list[AssetKey]:
    return [model_key(models[r]) for r in model.refs] + [AssetKey([schema, name]) for schema, name in model.sources]


def _run_checks(conn, model: SqlModel):
    for test in model.tests:
        failing = conn.execute(check_sql(test, model.table)).fetchone()[0]
        yield AssetCheckResult(
            asset_key=model_key(model),
            check_name=test.name,
            passed=failing == 0,
            metadata={"failing_rows": MetadataValue.int(int(failing))},
        )


def build_sql_asset(model: SqlModel, models: dict[str, SqlModel]) -> AssetsDefinition:
    """The asset (and its checks) for one SQL model."""
    partitioned = model.materialized == "partitioned"
    spec = AssetSpec(
        model_key(model),
        deps=_deps(model, models),
        description=model.description or f"SQL model {model.name}",
        group_name=model.layer,
        kinds={"duckdb", "sql"},
        partitions_def=monthly_partitions if partitioned else None,
        metadata={"sql_file": MetadataValue.path(str(model.path)), "materialized": model.materialized},
    )
    checks = [
        AssetCheckSpec(test.name, asset=model_key(model), blocking=True, description=f"{test.kind} on {test.columns}")
        for test in model.tests
    ]
    sql = render(model, models)

    @multi_asset(
        specs=[spec],
        check_specs=checks,
        name=f"{model.layer}__{model.name}",
        partitions_def=monthly_partitions if partitioned else None,
        backfill_policy=BackfillPolicy.single_run() if partitioned else None,
    )
    def _asset(context: AssetExecutionContext, warehouse: Warehouse):
        with warehouse.get_connection() as conn:
            if partitioned:
                start, end = window_dates(context)
                params = {
                    "window_start": start,
                    "window_end": end,
                    "lookback_start": shift_days(start, model.lookback_days),
                }
                used = {k: v for k, v in params.items() if f"${k}" in sql}
                result = write_window_sql(
                    conn, model.table, sql, used, date_column=model.date_column, start=start, end=end
                )
                metadata = write_metadata(result)
            else:
                conn.execute("begin transaction")
                try:
                    ensure_schemas(conn)
                    kind = "view" if model.materialized == "view" else "table"
                    conn.execute(f"create or replace {kind} {model.table} as {sql}")
                    conn.execute("commit")
                except BaseException:
                    conn.execute("rollback")
                    raise
                metadata = {"table": MetadataValue.text(model.table)}
            yield MaterializeResult(asset_key=model_key(model), metadata=metadata)
            yield from _run_checks(conn, model)

    return _asset


def build_sql_assets() -> list[AssetsDefinition]:
    models = load_models()
    return [build_sql_asset(model, models) for model in models.values()]
