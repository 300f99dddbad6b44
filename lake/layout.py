"""Where things live in the lake. One place, so loaders, models and analysts agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lake.schema import PARTITION_COLUMN


def join(root: str, *parts: str) -> str:
    """Join URI/path parts with '/', for local folders and s3:// prefixes alike."""
    out = root.rstrip("/")
    for part in parts:
        out += "/" + part.strip("/")
    return out


def table_dir(root: str, table: str) -> str:
    return join(root, "raw", table)


def partition_dir(root: str, table: str, day: dt.date) -> str:
    return join(table_dir(root, table), f"{PARTITION_COLUMN}={day.isoformat()}")


def manifest_dir(root: str) -> str:
    return join(root, "_manifest")


def read_sql(files: Sequence[str]) -> str:
    """A DuckDB table expression over the given Parquet files of one raw table.

    `snapshot_date` comes from the hive path, typed DATE. Pass the committed files
    (:func:`lake.manifest.table_files`), never a glob: a glob would also read the files of an
    ingest that has not committed its day.

    No ``union_by_name``: every lake file holds exactly the canonical columns of `lake.schema`
    (the loaders build each table from its ``arrow_schema``, and
    :func:`loaders.partitions.parquet_bytes` refuses any other), so DuckDB binds the scan from
    the first file's footer and matches the other files' columns by name, failing loudly on a
    file that lacks one. ``union_by_name`` reads every file's footer at every bind of the view:
    each query on a ``raw.*`` view paid ~0.02 s for it at 400 days, a cost that grows with the files.
    """
    if not files:
        raise ValueError("read_sql needs at least one file")
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"read_parquet([{listed}], hive_partitioning = true, hive_types = {{'{PARTITION_COLUMN}': DATE}})"
