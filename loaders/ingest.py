"""`loaders.ingest.ingest`: load new or changed daily dumps into the lake (SPEC §2, §3, §7).

For each dump under `source.root` matching `source.key_pattern` (within --start/--end):

1. skip it when the day's manifest entry was built from the same object (URI, size, etag);
2. otherwise stream and parse it completely, validate every needed table and column;
3. only then commit the day (loaders/partitions.py): its content-named Parquet files, then the
   manifest entry, which makes all of the day's tables visible to readers at once.

Before any day is written, files that no committed day names (left by an ingest killed
mid-day) are removed. Run it under the warehouse lock (`pipeline.session`): the sweep and the
commits assume no other writer.

A dump that fails leaves its day untouched; the other days still load. The report names the
days written and, among them, the days that already had data and changed (to restate).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any, Optional

from lake.config import Config
from lake.manifest import KIND_DUMP, committed_days, same_source
from loaders.dumpreader import read_dump
from loaders.partitions import commit_day, sweep_orphans
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

log = logging.getLogger(__name__)


def committed_entries(config: Config) -> dict[dt.date, dict[str, Any]]:
    """The manifest entries of the lake's committed days, after removing orphan files."""
    committed = committed_days(config)
    removed = sweep_orphans(config, committed)
    if removed:
        log.warning("removed %d file(s) of an interrupted ingest, e.g. %s", len(removed), removed[0])
    return {day: dict(d.entry) for day, d in committed.items()}


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
    entries = committed_entries(config)
    todo, results = [], []
    for src in sources:
        entry = entries.get(src.day)
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
