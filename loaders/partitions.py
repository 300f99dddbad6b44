"""Commit one snapshot day: write its Parquet files, then its manifest entry (the commit).

The order is what makes a day one commit (lake/manifest.py):

1. each table's Parquet file is written under its content-addressed name (same rows, same
   bytes, same name: re-ingesting the same dump writes nothing); until step 2 no reader uses
   it, because readers only read the files the manifest names;
2. the manifest entry is written in one atomic write: from then on readers see every table
   of the day new;
3. the files of the replaced version (those the old entry named and the new one does not) are
   deleted.

An entry whose day had committed content before and changed records the correction
(``replaces``, ``replaced_at``, ``corrections``: :func:`correction_record`); `lakehouse status`
lists those days.

A crash before 2 leaves the old day (plus orphan files the next ingest removes); a crash after
2 leaves the new day (plus the old files, removed the same way). `demo.generate` writes lake
days through this function too, so there is one way a day enters the lake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
from dataclasses import dataclass
from typing import Any, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from lake.config import Config
from lake.layout import join, partition_dir, table_dir
from lake.manifest import data_file_name, fingerprint, lake_day, write_entry
from lake.schema import TABLES
from lake.storage import storage_for
from loaders import LOADER_VERSION


@dataclass(frozen=True)
class DayOutcome:
    #: the day's committed content changed (or was new), or --force rewrote it
    written: bool
    #: the day had committed data before and its content changed (downstream must recompute it)
    replaced: bool
    rows: dict[str, int]
    #: bytes of the day's Parquet files
    bytes: int = 0


def parquet_bytes(table: pa.Table) -> bytes:
    """The table as one Parquet file (deterministic: same rows -> same bytes)."""
    name = next((n for n, t in TABLES.items() if t.arrow_schema.equals(table.schema)), None)
    if name is None:
        raise ValueError(f"not a lake table schema: {table.schema}")
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


def correction_record(
    old_entry: Optional[dict[str, Any]], old_fp: Optional[str], new_fp: str, now: str
) -> dict[str, Any]:
    """The entry's correction fields: was the day's committed content ever replaced, and when?

    ``replaces`` (the fingerprint of the version replaced), ``replaced_at`` (UTC, the commit
    that replaced it) and ``corrections`` (how many times the content changed) are set when
    the content of a committed day changes, and carried over when the day is rewritten with
    the same content. A day never replaced has none of them (entries written before these
    fields existed have none either).
    """
    if old_fp is not None and old_fp != new_fp:
        count = int((old_entry or {}).get("corrections") or 0) + 1
        return {"replaces": old_fp, "replaced_at": now, "corrections": count}
    if old_entry is None:
        return {}
    return {k: old_entry[k] for k in ("replaces", "replaced_at", "corrections") if k in old_entry}


def commit_day(
    config: Config,
    day: dt.date,
    tables: dict[str, pa.Table],
    entry: dict[str, Any],
    old_entry: Optional[dict[str, Any]],
    force: bool = False,
) -> DayOutcome:
    """Write the day's files, then its manifest entry (`entry` + tables, fingerprint, time, version).

    The entry lists exactly `tables`: a table the day had before and `tables` lacks is no longer
    part of the day. `force` rewrites files even when a file of the same name exists.
    """
    root = config.lake.root
    storage = storage_for(root, config)
    files = {name: parquet_bytes(t) for name, t in tables.items()}
    new_tables = {}
    for name, data in files.items():
        sha = hashlib.sha256(data).hexdigest()
        new_tables[name] = {
            "rows": tables[name].num_rows,
            "sha256": sha,
            "bytes": len(data),
            "file": data_file_name(sha),
        }
    old_fp = lake_day(root, day, old_entry).fingerprint if old_entry is not None else None
    new_fp = fingerprint(new_tables)
    for name, data in files.items():
        uri = join(partition_dir(root, name, day), new_tables[name]["file"])
        if force or storage.stat(uri) is None:
            storage.write_bytes(uri, data)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        **entry,
        "snapshot_date": day.isoformat(),
        "tables": new_tables,
        "fingerprint": new_fp,
        "rows": {name: t.num_rows for name, t in tables.items()},
        "ingested_at": now,
        "ingested_at_epoch": round(time.time(), 3),
        "loader_version": LOADER_VERSION,
        **correction_record(old_entry, old_fp, new_fp, now),
    }
    write_entry(storage, root, day, record)
    if old_entry is not None:
        kept = set(lake_day(root, day, record).files.values())
        for uri in set(lake_day(root, day, old_entry).files.values()) - kept:
            storage.delete(uri)
    return DayOutcome(
        written=force or old_fp != new_fp,
        replaced=old_fp is not None and old_fp != new_fp,
        rows={name: t.num_rows for name, t in tables.items()},
        bytes=sum(len(data) for data in files.values()),
    )


def sweep_orphans(config: Config, committed: dict[dt.date, Any]) -> list[str]:
    """Delete every data file of the lake that no committed day names (one listing per table).

    Orphans are what an ingest killed mid-day leaves: the new files of a day it never committed,
    or the replaced files of a day it committed but did not clean up. Run under the warehouse
    lock, before any day is written, so no file of a commit in progress is touched.
    """
    root = config.lake.root
    storage = storage_for(root, config)
    keep = {uri for d in committed.values() for uri in d.files.values()}
    removed = []
    for name in TABLES:
        prefix = table_dir(root, name)
        for info in list(storage.list(prefix)):
            if info.uri.endswith(".parquet") and info.uri not in keep:
                storage.delete(info.uri)
                removed.append(info.uri)
    return removed
