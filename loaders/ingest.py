"""`loaders.ingest.ingest`: load new or changed daily dumps into the lake (SPEC §2, §3, §7).

For each dump under `source.root` matching `source.key_pattern` (within --start/--end):

1. skip it when the day's manifest entry was built from the same object (URI, size, etag);
2. otherwise stream and parse it completely, validate every needed table and column;
3. only then write the day's Parquet files (each replaced atomically, only if its content
   changed) and last the manifest entry.

A dump that fails leaves its day untouched; the other days still load. The report names the
days written and, among them, the days that already had data and changed (to restate).
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

from lake.config import Config
from lake.storage import storage_for
from loaders.dumpreader import read_dump
from loaders.manifest import KIND_DUMP, read_entry, same_source
from loaders.partitions import commit_day
from loaders.runner import (
    UNCHANGED,
    DayResult,
    IngestReport,
    Stopwatch,
    as_date,
    committed_result,
    failed_result,
    resolve_workers,
    run_and_report,
)
from loaders.sources import Source, find_sources

__all__ = ["IngestReport", "ingest", "ingest_one"]


def read_entries(config: Config, days: list[dt.date]) -> dict[dt.date, Optional[dict[str, Any]]]:
    """Manifest entries of `days` (concurrently: on S3 each is a round trip)."""
    storage = storage_for(config.lake.root, config)
    with ThreadPoolExecutor(max_workers=16) as pool:
        entries = pool.map(lambda d: read_entry(storage, config.lake.root, d), days)
        return dict(zip(days, entries))


def ingest(
    config: Config,
    start: Optional[dt.date] = None,
    end: Optional[dt.date] = None,
    force: bool = False,
    workers: Optional[int] = None,
    progress: Any = None,
) -> IngestReport:
    """Ingest the new or changed dumps of [start, end] (all when None); see the module doc.

    Raises LoadError/StorageError (naming the source root or lake) when the inputs cannot be
    listed or the manifest read; failures of single dumps are in the report instead.
    """
    clock = Stopwatch()
    nworkers = resolve_workers(config, workers)
    start, end = as_date(start, "start"), as_date(end, "end")
    sources, problems = find_sources(config.source.root, config.source.key_pattern, config, start, end)
    entries = read_entries(config, [s.day for s in sources])
    todo, results = [], []
    for src in sources:
        entry = entries[src.day]
        if not force and same_source(entry, KIND_DUMP, src.uri, src.size, src.etag):
            results.append(DayResult(src.day, src.uri, UNCHANGED, rows=dict(entry.get("rows") or {})))
        else:
            todo.append((src, entry))
    return run_and_report(
        "ingest", ingest_one, config, todo, results, problems, clock, force, nworkers, progress
    )


def ingest_one(config: Config, item: tuple[Source, Optional[dict[str, Any]]], force: bool) -> DayResult:
    """Parse one dump and commit its day; never raises (a failure is a FAILED result)."""
    src, old_entry = item
    t0 = time.perf_counter()
    try:
        parsed = read_dump(src.uri, config)
        entry = {
            "kind": KIND_DUMP,
            "source": src.uri,
            "size": src.size,
            "etag": src.etag,
            "sha256": parsed.sha256,
            "gzip": parsed.gzip,
            "uncompressed_bytes": parsed.sql_bytes,
            "parse_seconds": round(time.perf_counter() - t0, 3),
        }
        if old_entry is not None and not force and old_entry.get("sha256") == parsed.sha256:
            entry["unchanged_since"] = old_entry.get("ingested_at")
        outcome = commit_day(config, src.day, parsed.tables, entry, old_entry, force)
    except Exception as exc:
        return failed_result(src, t0, exc)
    return committed_result(src, t0, outcome, parsed.raw_bytes, parsed.sql_bytes)
