"""One Dagster asset per dbt_like_sql model, with the schema.yml tests as asset checks.

Views and tables are rebuilt whole; partitioned models replace their window in one transaction inside
DuckDB (``warehouse.write_window_sql``), computed chunk by chunk (``MOMENTUM_CHUNK_MONTHS``) so a long
backfill's memory is one chunk's. Dependencies come from the models' ``ref``/``source`` calls.

A test of severity ``error`` (data that cannot be right) is a blocking check: when it fails, the assets
downstream in the run do not execute. A ``warn`` test (a plausibility range: rare, not impossible) is a
non-blocking check reported with severity WARN. Either way the check's metadata count the failing rows and
list the first ones, and a partitioned model's checks cover the rows of the run's window (a view that names
a ``check_window`` column: the months of a monthly run).
"""

from datetime import date

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
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

from momentum_dag.assets.common import frequency_tag, report_partition_counts, window_dates
from momentum_dag.assets.raw import write_start
from momentum_dag.names import group_of
from momentum_dag.partitions import Partitions, chunk_windows, month_range
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse
from momentum_dag.storage.sql_models import (
    SAMPLE_ROWS,
    ColumnTest,
    SqlModel,
    count_failing,
    failing_rows_sql,
    load_models,
    materialize,
    sample_columns,
)


def model_key(model: SqlModel) -> AssetKey:
    return AssetKey([model.layer, model.name])


def _deps(model: SqlModel, models: dict[str, SqlModel]) -> list[AssetKey]:
    """The models it refs and the sources it reads, and the sources under the views it refs.

    A view holds no data: a mart that reads ``staging.stg_daily_bars`` reads ``raw.daily_bars``. Saying so
    also keeps the monthly assets one connected partitioned graph, which Dagster's asset backfill needs:
    a partition range launched from the UI on ``tag:frequency=monthly`` starts from the raw tables and
    follows partitioned assets only, so without these edges it would stop at the (unpartitioned) views.
    """
    keys = [model_key(models[r]) for r in model.refs]
    keys += [AssetKey([schema, name]) for schema, name in _sources_through_views(model, models)]
    return list(dict.fromkeys(keys))


def _sources_through_views(model: SqlModel, models: dict[str, SqlModel]) -> list[tuple[str, str]]:
    found = list(model.sources)
    for ref in model.refs:
        if models[ref].materialized == "view":
            found += _sources_through_views(models[ref], models)
    return found


# A dated key is checked six months at a time (:func:`count_failing`): at 5,000 stocks a half-year's hash
# aggregate (0.6 M keys) cost 2.2 CPU s over 2006-2026, two-year chunks 3.1 s, the whole window 5-7 s.
CHECK_CHUNK_MONTHS = 6


def _run_checks(conn, model: SqlModel, start=None, end=None):
    params = {"window_start": start, "window_end": end} if start is not None else {}
    chunks = ()
    if start is not None and model.materialized == "partitioned":
        chunks = chunk_windows(start, end, CHECK_CHUNK_MONTHS, weekly=model.partitions == "weekly")
    table_columns = [d[0] for d in conn.execute(f"select * from {model.table} limit 0").description]
    for test in model.tests:
        yield check_result(conn, model, test, table_columns, params, chunks)


def check_result(
    conn, model: SqlModel, test: ColumnTest, table_columns: list[str], params: dict, chunks=()
) -> AssetCheckResult:
    """Run one test: passed when no row fails; metadata count the failing rows and list the first
    :data:`SAMPLE_ROWS` of them (the model's key and the columns the test reads). ``chunks``: the
    consecutive sub-windows of the window (a dated key is checked on each, :func:`count_failing`)."""
    date_column = (model.date_column or model.check_window) if params else None
    failing_sql = failing_rows_sql(test, model.table, date_column)
    used = {k: v for k, v in params.items() if f"${k}" in failing_sql}
    failing = count_failing(conn, test, model.table, date_column, params, chunks)
    metadata = {
        "failing_rows": MetadataValue.int(failing),
        "severity": MetadataValue.text(test.severity),
        "rule": MetadataValue.text(test.rule),
    }
    if params:
        metadata["window"] = MetadataValue.text(f"[{params['window_start']}, {params['window_end']})")
    if failing:
        shown = sample_columns(test, model.key_columns, table_columns)
        select = ", ".join(shown) if shown else "*"
        order = ", ".join(shown) if shown else "all"
        sample = conn.execute(f"select {select} from ({failing_sql}) order by {order} limit {SAMPLE_ROWS}", used).df()
        for column in sample.columns:  # dates as dates, not midnight timestamps
            if pd.api.types.is_datetime64_any_dtype(sample[column]):
                sample[column] = sample[column].dt.strftime("%Y-%m-%d")
        title = f"first {len(sample)} of {failing} failing rows" if failing > len(sample) else f"{failing} failing rows"
        metadata["first_failing_rows"] = MetadataValue.md(f"**{title}**\n\n" + sample.to_markdown(index=False))
    return AssetCheckResult(
        asset_key=model_key(model),
        check_name=test.name,
        passed=failing == 0,
        severity=AssetCheckSeverity.ERROR if test.blocking else AssetCheckSeverity.WARN,
        metadata=metadata,
        description=test.describe(model.materialized == "partitioned", model.check_scope),
    )


def checked_months(context: AssetExecutionContext, model: SqlModel, settings: Settings) -> tuple:
    """The window a view with ``check_window`` is checked over: the months of the run's monthly partitions
    (the first partition's from the beginning of time, as the raw layer writes it); (None, None), every
    row, for a run without partitions or a view without ``check_window``."""
    first, last = month_range(context.dagster_run.tags)
    if model.check_window is None or first is None:
        return None, None
    end = (pd.Timestamp(last) + pd.offsets.MonthBegin(1)).date()
    return write_start(date.fromisoformat(first[:10]), settings), end


def build_sql_asset(model: SqlModel, models: dict[str, SqlModel], partitions: Partitions) -> AssetsDefinition:
    """The asset (and its checks) for one SQL model."""
    partitioned = model.materialized == "partitioned"
    partitions_def = None
    if partitioned:
        partitions_def = partitions.weekly if model.partitions == "weekly" else partitions.monthly
    spec = AssetSpec(
        model_key(model),
        deps=_deps(model, models),
        description=model.description or f"SQL model {model.name}",
        group_name=group_of(model_key(model)),
        kinds={"duckdb", "sql"},
        partitions_def=partitions_def,
        tags=frequency_tag(partitions_def) or None,
        metadata={"sql_file": MetadataValue.path(str(model.path)), "materialized": model.materialized},
    )
    checks = [
        AssetCheckSpec(
            test.name,
            asset=model_key(model),
            blocking=test.blocking,
            description=test.describe(partitioned, model.check_scope),
        )
        for test in model.tests
    ]

    @multi_asset(
        specs=[spec],
        check_specs=checks,
        name=f"{model.layer}__{model.name}",
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run() if partitioned else None,
    )
    def _asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
        start, end = window_dates(context) if partitioned else (None, None)
        checked = (start, end) if partitioned else checked_months(context, model, settings)
        with warehouse.get_connection() as conn:
            result = materialize(conn, model, models, start, end, chunk_months=settings.run.chunk_months)
            checks = list(_run_checks(conn, model, *checked))
        if result is not None:
            report_partition_counts(context, model_key(model), warehouse, result, model.date_column)
        yield MaterializeResult(asset_key=model_key(model), metadata={"table": MetadataValue.text(model.table)})
        yield from checks

    return _asset


def build_sql_assets(partitions: Partitions) -> list[AssetsDefinition]:
    models = load_models()
    return [build_sql_asset(model, models, partitions) for model in models.values()]
