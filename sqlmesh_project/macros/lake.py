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
                      hive_partitioning = true, hive_types = {'snapshot_date': DATE})

On the ``spark`` gateway the same view is a ``UNION ALL`` of one ``SELECT`` per committed file
(``FROM parquet.`<file>```, its day a literal): Spark SQL has no multi-file table function,
and a partition folder may hold files the manifest does not name. Every lake file carries the
whole canonical schema (loaders check it), so the columns are selected by name.

The views list the files the manifest names, never a glob: a day whose ingest has not
committed yet (or died) is invisible, and a day's three tables and its fingerprint always come
from the same commit. DuckDB inlines the view, so a model's ``WHERE snapshot_date BETWEEN
@start_ds AND @end_ds`` prunes the hive partitions: an incremental run opens only the files of
its interval.
"""

from __future__ import annotations

from macros.engine import engine
from sqlglot import exp
from sqlmesh import macro

from lake import layout, schema
from lake.manifest import lake_days_for_root


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
    files: list[tuple] = []
    if evaluator.runtime_stage != "loading":
        days = lake_days_for_root(evaluator.var("lake_root"))
        files = [(day, d.files[name]) for day, d in sorted(days.items()) if name in d.files]
    if not files:
        columns = [f"CAST(NULL AS DATE) AS {part}"] + [
            f"CAST(NULL AS {c.duckdb_type}) AS {c.name}" for c in spec.columns
        ]
        source = f"(SELECT NULL AS {part}) AS no_committed_day_yet WHERE false"
        return f"CREATE OR REPLACE VIEW raw.{name} AS SELECT {', '.join(columns)} FROM {source}"
    if engine(evaluator) == "spark":
        return _spark_lake_view(name, spec, files)
    columns = [f"CAST({part} AS DATE) AS {part}"] + [
        f"CAST({c.name} AS {c.duckdb_type}) AS {c.name}" for c in spec.columns
    ]
    source = layout.read_sql([uri for _day, uri in files])
    view = f"CREATE OR REPLACE VIEW raw.{name} AS SELECT {', '.join(columns)} FROM {source}"
    # the view is bound by every query on it; with the footers cached, a query touching
    # a few partitions does not re-read all the lake's footers (S3: one GET each)
    return [_verbatim(view), "SET GLOBAL parquet_metadata_cache = true"]


def _verbatim(sql: str) -> exp.Command:
    """`sql` (DuckDB's) executed as written. A macro's string result is parsed by sqlglot,
    walked and generated again: ~0.07 s per view of 400 days, in every run's before_all."""
    verb, rest = sql.split(" ", 1)
    return exp.Command(this=verb, expression=" " + rest)


def _spark_lake_view(name: str, spec, files: list[tuple]) -> exp.Expression:
    """The Spark SQL of `raw.<name>`: one SELECT per committed file, its day a literal."""
    columns = ", ".join(
        f"CAST({c.name} AS {exp.DataType.build(c.duckdb_type, dialect='duckdb').sql('spark')}) AS {c.name}"
        for c in spec.columns
    )
    part = schema.PARTITION_COLUMN
    selects = [
        f"SELECT DATE '{day.isoformat()}' AS {part}, {columns} FROM parquet.`{uri.replace('`', '``')}`"
        for day, uri in files
    ]
    return exp.maybe_parse(
        f"CREATE OR REPLACE VIEW raw.{name} AS " + " UNION ALL ".join(selects), dialect="spark"
    )


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
    view = (
        "CREATE OR REPLACE VIEW raw.lake_days AS SELECT snapshot_date, lake_fingerprint "
        f"FROM (VALUES {values}) AS committed_days(snapshot_date, lake_fingerprint)"
    )
    return view if engine(evaluator) == "spark" else _verbatim(view)
