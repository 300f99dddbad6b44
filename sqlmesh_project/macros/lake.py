"""Macros that read the Parquet lake (SPEC §3).

Models never name lake paths: they read the views ``raw.tenants``, ``raw.rooms`` and
``raw.apartments`` (declared with their types in ``external_models.yaml``, so unit tests can
mock them). ``before_all`` in ``config.py`` (re)creates those views with
:func:`create_lake_view` at the start of every ``sqlmesh plan`` / ``sqlmesh run``:

    CREATE OR REPLACE VIEW raw.tenants AS
    SELECT snapshot_date, id, status, ...
    FROM read_parquet('<lake_root>/raw/tenants/snapshot_date=*/*.parquet',
                      hive_partitioning = true, hive_types = {'snapshot_date': DATE},
                      union_by_name = true)

DuckDB inlines the view, so a model's ``WHERE snapshot_date BETWEEN @start_ds AND @end_ds``
prunes the hive partitions: an incremental run opens only the partitions of its interval.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro

from lake import layout, schema


@macro()
def create_lake_view(evaluator, table):
    """`CREATE OR REPLACE VIEW raw.<table>` over the lake partitions of `table`.

    A table without any partition yet (e.g. `rooms` in a lake holding only legacy status
    CSVs) gets an empty view of the same columns and types, so models still run.
    """
    name = table.name if isinstance(table, exp.Expression) else str(table)
    spec = schema.TABLES[name]
    part = schema.PARTITION_COLUMN
    root = evaluator.var("lake_root")
    columns = [f"CAST({part} AS DATE) AS {part}"] + [
        f"CAST({c.name} AS {c.duckdb_type}) AS {c.name}" for c in spec.columns
    ]
    source = layout.read_sql(root, name)
    if evaluator.runtime_stage != "loading":
        found = evaluator.engine_adapter.fetchone(
            f"SELECT count(*) FROM glob('{layout.table_glob(root, name)}')", quote_identifiers=False
        )
        if not found or not found[0]:
            source = f"(SELECT NULL AS {part}) AS no_partitions_yet WHERE false"
            columns = [f"CAST(NULL AS DATE) AS {part}"] + [
                f"CAST(NULL AS {c.duckdb_type}) AS {c.name}" for c in spec.columns
            ]
    view = f"CREATE OR REPLACE VIEW raw.{name} AS SELECT {', '.join(columns)} FROM {source}"
    if source.startswith("read_parquet"):
        # the view is bound by every query on it; with the footers cached, a query touching
        # a few partitions does not re-read all the lake's footers (S3: one GET each)
        return [view, "SET GLOBAL parquet_metadata_cache = true"]
    return view
