"""Macros that read the Parquet lake (SPEC §3): its committed days only.

Models never name lake paths: they read the views ``raw.tenants``, ``raw.rooms`` and
``raw.apartments`` (declared with their types in ``external_models.yaml``, so unit tests can
mock them), and ``raw.lake_days`` (one row per committed day with its content fingerprint).
``before_all`` in ``config.py`` (re)creates them with :func:`create_lake_view` and
:func:`create_lake_days_view` at the start of every ``sqlmesh plan`` / ``sqlmesh run``, from
the lake's manifest (:func:`lake.manifest.committed_days`):

    CREATE OR REPLACE VIEW raw.tenants AS
    SELECT snapshot_date, id, status, ...
    FROM read_parquet(['<lake_root>/raw/tenants/snapshot_date=2026-02-10/<sha>.parquet', ...],
                      hive_partitioning = true, hive_types = {'snapshot_date': DATE},
                      union_by_name = true)

The views list the files the manifest names, never a glob: a day whose ingest has not
committed yet (or died) is invisible, and a day's three tables and its fingerprint always come
from the same commit. DuckDB inlines the view, so a model's ``WHERE snapshot_date BETWEEN
@start_ds AND @end_ds`` prunes the hive partitions: an incremental run opens only the files of
its interval.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro

from lake import layout, schema
from lake.manifest import lake_days_for_root, table_files


def _name(value) -> str:
    return value.name if isinstance(value, exp.Expression) else str(value)


@macro()
def create_lake_view(evaluator, table):
    """`CREATE OR REPLACE VIEW raw.<table>` over the committed files of `table`.

    A table without any committed file yet (e.g. `rooms` in a lake holding only legacy status
    CSVs) gets an empty view of the same columns and types, so models still run.
    """
    name = _name(table)
    spec = schema.TABLES[name]
    part = schema.PARTITION_COLUMN
    files = []
    if evaluator.runtime_stage != "loading":
        files = table_files(lake_days_for_root(evaluator.var("lake_root")), name)
    if files:
        source = layout.read_sql(files)
        columns = [f"CAST({part} AS DATE) AS {part}"] + [
            f"CAST({c.name} AS {c.duckdb_type}) AS {c.name}" for c in spec.columns
        ]
    else:
        source = f"(SELECT NULL AS {part}) AS no_committed_day_yet WHERE false"
        columns = [f"CAST(NULL AS DATE) AS {part}"] + [
            f"CAST(NULL AS {c.duckdb_type}) AS {c.name}" for c in spec.columns
        ]
    view = f"CREATE OR REPLACE VIEW raw.{name} AS SELECT {', '.join(columns)} FROM {source}"
    if files:
        # the view is bound by every query on it; with the footers cached, a query touching
        # a few partitions does not re-read all the lake's footers (S3: one GET each)
        return [view, "SET GLOBAL parquet_metadata_cache = true"]
    return view


@macro()
def create_lake_days_view(evaluator):
    """`CREATE OR REPLACE VIEW raw.lake_days`: (snapshot_date, lake_fingerprint) per committed day."""
    days = {}
    if evaluator.runtime_stage != "loading":
        days = lake_days_for_root(evaluator.var("lake_root"))
    if not days:
        return (
            "CREATE OR REPLACE VIEW raw.lake_days AS SELECT CAST(NULL AS DATE) AS snapshot_date, "
            "CAST(NULL AS VARCHAR) AS lake_fingerprint WHERE false"
        )
    values = ", ".join(f"(DATE '{d.isoformat()}', '{day.fingerprint}')" for d, day in sorted(days.items()))
    return (
        "CREATE OR REPLACE VIEW raw.lake_days AS SELECT snapshot_date, lake_fingerprint "
        f"FROM (VALUES {values}) AS committed_days(snapshot_date, lake_fingerprint)"
    )
