"""Write one snapshot day's Parquet files and its manifest entry, after everything validated.

Each file is replaced atomically (`lake.storage`: temp file + rename locally, one PUT on S3), and
a table's file is only rewritten when its content changed, so re-ingesting the same dump
changes nothing in the lake. The manifest entry goes last: it is the day's commit record.
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
from lake.layout import partition_file
from lake.schema import TABLES
from lake.storage import storage_for
from loaders import LOADER_VERSION
from loaders.manifest import write_entry


@dataclass(frozen=True)
class DayOutcome:
    #: at least one data file of the day was (re)written
    written: bool
    #: the day had data before and its content changed (downstream must restate it)
    replaced: bool
    rows: dict[str, int]


def parquet_bytes(table: pa.Table) -> bytes:
    """The table as one Parquet file (deterministic: same rows -> same bytes)."""
    name = next((n for n, t in TABLES.items() if t.arrow_schema.equals(table.schema)), None)
    if name is None:
        raise ValueError(f"not a lake table schema: {table.schema}")
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


def commit_day(
    config: Config,
    day: dt.date,
    tables: dict[str, pa.Table],
    entry: dict[str, Any],
    old_entry: Optional[dict[str, Any]],
    force: bool = False,
) -> DayOutcome:
    """Write the day's changed tables, then its manifest entry (`entry` + tables, time, version)."""
    root = config.lake.root
    storage = storage_for(root, config)
    files = {name: parquet_bytes(t) for name, t in tables.items()}
    shas = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    old_tables: dict[str, Any] = dict((old_entry or {}).get("tables") or {})
    had_data = old_entry is not None
    if old_entry is None:  # a lake written without manifest (or an entry lost): look at the files
        for name in files:
            uri = partition_file(root, name, day)
            if storage.stat(uri) is not None:
                had_data = True
                old_tables[name] = {"sha256": hashlib.sha256(storage.read_bytes(uri)).hexdigest()}
    changed = [n for n in files if shas[n] != (old_tables.get(n) or {}).get("sha256")]
    to_write = list(files) if force else list(changed)
    for name in files:
        if name not in to_write and storage.stat(partition_file(root, name, day)) is None:
            to_write.append(name)  # recorded but missing (deleted by hand): repair
    for name in to_write:
        storage.write_bytes(partition_file(root, name, day), files[name])
    new_tables = {
        name: {"rows": tables[name].num_rows, "sha256": shas[name], "bytes": len(files[name])}
        for name in files
    }
    record = {
        **entry,
        "snapshot_date": day.isoformat(),
        "tables": {**old_tables, **new_tables},
        "rows": {name: t.num_rows for name, t in tables.items()},
        "ingested_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ingested_at_epoch": round(time.time(), 3),
        "loader_version": LOADER_VERSION,
    }
    write_entry(storage, root, day, record)
    return DayOutcome(
        written=bool(to_write),
        replaced=had_data and bool(changed),
        rows={name: t.num_rows for name, t in tables.items()},
    )
