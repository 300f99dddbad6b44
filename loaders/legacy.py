"""Import the legacy per-day status CSVs into the lake as `tenants` partitions (SPEC §3).

`<source.legacy_csv_root>/YYYYMMDD.csv` (also ``.../snapshots/tenant_status/YYYYMMDD.csv``)
with the header ``tenant_id,status,contract_type,full_name,snapshot_date`` becomes the
`tenants` partition of that day; the columns the CSVs never had (payment status, room and date
columns) are NULL. An empty cell is NULL, except `tenant_id` and `status`, which are required;
names are kept exactly as written (a CSV cannot tell an empty name from a missing one: NULL).

A day that already has a dump-based partition is left alone unless ``force``: the dump is the
richer source. A later `lakehouse ingest` of a dump for a legacy day replaces it (and reports it
as replaced), since the dump is the better record of that day.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import time
from typing import Any, Optional

import pyarrow as pa

from lake.config import Config
from lake.errors import LoadError
from lake.manifest import KIND_DUMP, KIND_LEGACY, same_source
from lake.schema import TENANTS
from lake.storage import storage_for
from loaders.ingest import committed_entries
from loaders.partitions import commit_day
from loaders.runner import (
    SKIPPED,
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

PATTERN = "{date:%Y%m%d}.csv"
COLUMNS = ("tenant_id", "status", "contract_type", "full_name", "snapshot_date")


def _integer(raw: str, col: str, where: str, required: bool) -> Optional[int]:
    raw = raw.strip()
    if raw == "":
        if required:
            raise LoadError(f"{where}: {col} is empty")
        return None
    try:
        return int(raw)
    except ValueError:
        raise LoadError(f"{where}: {col} {raw!r} is not an integer") from None


def parse_csv(data: bytes, name: str, day: dt.date) -> pa.Table:
    """The CSV as a `tenants` table; LoadError naming the file and line on any bad row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{name}: not UTF-8 text ({exc})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise LoadError(f"{name}: empty file (no header line)")
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise LoadError(
            f"{name}: line 1: header lacks column(s) {', '.join(missing)} (has: {', '.join(header)})"
        )
    idx = {c: header.index(c) for c in COLUMNS}
    cols: dict[str, list] = {c: [] for c in ("id", "status", "contract_type", "full_name")}
    seen: dict[int, int] = {}
    while True:
        line = reader.line_num + 1  # where the row starts (a quoted field may span lines)
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise LoadError(f"{name}: line {line}: not valid CSV ({exc})") from None
        if row is None:
            break
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise LoadError(f"{name}: line {line}: {len(row)} fields, the header has {len(header)}")
        where = f"{name}: line {line}"
        tenant = _integer(row[idx["tenant_id"]], "tenant_id", where, required=True)
        if tenant in seen:
            raise LoadError(f"{where}: duplicate tenant_id {tenant} (first on line {seen[tenant]})")
        seen[tenant] = line
        snap = row[idx["snapshot_date"]].strip()
        try:
            snap_day = dt.date.fromisoformat(snap)
        except ValueError:
            raise LoadError(f"{where}: snapshot_date {snap!r} is not a date YYYY-MM-DD") from None
        if snap_day != day:
            raise LoadError(f"{where}: snapshot_date {snap} differs from the file's date {day}")
        cols["id"].append(tenant)
        cols["status"].append(_integer(row[idx["status"]], "status", where, required=True))
        cols["contract_type"].append(
            _integer(row[idx["contract_type"]], "contract_type", where, required=False)
        )
        cols["full_name"].append(row[idx["full_name"]] or None)
    n = len(cols["id"])
    arrays = []
    for col in TENANTS.columns:
        values = cols.get(col.name)
        try:
            arrays.append(pa.nulls(n, col.type) if values is None else pa.array(values, type=col.type))
        except (pa.ArrowInvalid, OverflowError) as exc:
            raise LoadError(f"{name}: column {col.name}: value out of range ({exc})") from None
    return pa.Table.from_arrays(arrays, schema=TENANTS.arrow_schema)


def import_legacy(
    config: Config,
    start: Optional[dt.date] = None,
    end: Optional[dt.date] = None,
    force: bool = False,
    workers: Optional[int] = None,
    progress: Any = None,
) -> IngestReport:
    """Import the legacy CSVs of [start, end]; same report as :func:`loaders.ingest.ingest`."""
    clock = Stopwatch()
    nworkers = resolve_workers(config, workers)
    root = config.source.legacy_csv_root
    start, end = as_date(start, "start"), as_date(end, "end")
    sources, problems = find_sources(root, PATTERN, config, start, end)
    nested, nested_problems = ([], [])
    if not sources:  # a root above snapshots/tenant_status/
        nested, nested_problems = find_sources(root, "snapshots/tenant_status/" + PATTERN, config, start, end)
    sources, problems = sources + nested, problems + nested_problems
    entries = committed_entries(config)
    todo, results = [], []
    for src in sources:
        entry = entries.get(src.day)
        if not force:
            if same_source(entry, KIND_LEGACY, src.uri, src.size, src.etag):
                results.append(DayResult(src.day, src.uri, UNCHANGED, rows=dict(entry.get("rows") or {})))
                continue
            if entry is not None and entry.get("kind") == KIND_DUMP:
                results.append(
                    DayResult(
                        src.day, src.uri, SKIPPED, message="the day has a dump-based partition (--force)"
                    )
                )
                continue
        todo.append((src, entry))
    return run_and_report(
        "import-legacy", import_one, config, todo, results, problems, clock, force, nworkers, progress
    )


def import_one(config: Config, item: tuple[Source, Optional[dict[str, Any]]], force: bool) -> DayResult:
    """Parse one CSV and commit its day; never raises (a failure is a FAILED result)."""
    src, old_entry = item
    t0 = time.perf_counter()
    try:
        data = storage_for(src.uri, config).read_bytes(src.uri)
        table = parse_csv(data, src.uri, src.day)
        entry = {
            "kind": KIND_LEGACY,
            "source": src.uri,
            "size": src.size,
            "etag": src.etag,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        outcome = commit_day(config, src.day, {"tenants": table}, entry, old_entry, force)
    except Exception as exc:
        return failed_result(src, t0, exc)
    return committed_result(src, t0, outcome, len(data), len(data))
