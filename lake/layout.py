"""Where things live in the lake. One place, so loaders, models and analysts agree."""

from __future__ import annotations

import datetime as dt

from lake.schema import PARTITION_COLUMN, PARTITION_FILE


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


def partition_file(root: str, table: str, day: dt.date) -> str:
    return join(partition_dir(root, table, day), PARTITION_FILE)


def table_glob(root: str, table: str) -> str:
    """The glob DuckDB reads a whole raw table with (hive partitioning on)."""
    return join(table_dir(root, table), f"{PARTITION_COLUMN}=*", "*.parquet")


def manifest_dir(root: str) -> str:
    return join(root, "_manifest")


def read_sql(root: str, table: str) -> str:
    """A DuckDB table expression over a raw table, with `snapshot_date` typed DATE."""
    return (
        f"read_parquet('{table_glob(root, table)}', hive_partitioning = true, "
        f"hive_types = {{'{PARTITION_COLUMN}': DATE}}, union_by_name = true)"
    )
