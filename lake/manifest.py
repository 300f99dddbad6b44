"""The lake's commit record: one small JSON per snapshot day under ``<lake>/_manifest/ingest/``.

A day is **one commit** (SPEC §6). Its Parquet files are content-named
(``raw/<table>/snapshot_date=D/<sha256[:16]>.parquet``), so writing them never changes what a
reader sees; the day's manifest entry, written last in one atomic PUT/rename, names the files
that make up the day. The product's readers (the SQLMesh ``raw.*`` views, the models' signal,
the job's restatement planning) read **committed days only**, through :func:`committed_days`:
they see all of a day's tables new or all old, never a mix, and never a file of an ingest that
died half-way. Files no entry names are orphans of such an ingest; the next ingest removes them.

An entry records what the day was built from (source URI, size, etag, sha256, kind ``dump`` or
``legacy``), each table's rows, sha256, bytes and file name, when, by which loader version, and
the day's ``fingerprint``: a hash of its tables' contents. The warehouse records the fingerprint
each day was computed from, so a day whose fingerprint changed is recomputed (docs/CONTRACTS.md).
One file per day keeps parallel ingest workers from contending on one object.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional

from lake.config import Config
from lake.errors import StorageError
from lake.layout import join, manifest_dir, partition_dir
from lake.schema import PARTITION_FILE
from lake.storage import LocalStorage, S3Storage, storage_for

log = logging.getLogger(__name__)

KIND_DUMP = "dump"
KIND_LEGACY = "legacy"

_ENTRY = re.compile(r"/(\d{4}-\d{2}-\d{2})\.json$")


def entries_dir(lake_root: str) -> str:
    return join(manifest_dir(lake_root), "ingest")


def entry_uri(lake_root: str, day: dt.date) -> str:
    return join(entries_dir(lake_root), f"{day.isoformat()}.json")


def data_file_name(sha256: str) -> str:
    """The content-addressed name of a table's Parquet file (same content, same name)."""
    return f"{sha256[:16]}.parquet"


def fingerprint(tables: Mapping[str, Mapping[str, Any]]) -> str:
    """The day's content fingerprint: a hash over its tables' (name, file sha256) pairs."""
    text = json.dumps({name: t.get("sha256") for name, t in sorted(tables.items())}, sort_keys=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def read_entry(storage: LocalStorage | S3Storage, lake_root: str, day: dt.date) -> Optional[dict[str, Any]]:
    """The day's entry, or None when the day was never committed (or its entry is unreadable)."""
    uri = entry_uri(lake_root, day)
    if storage.stat(uri) is None:
        return None
    return _parse(uri, storage.read_bytes(uri))


def _parse(uri: str, data: bytes) -> Optional[dict[str, Any]]:
    try:
        entry = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        log.warning("%s: unreadable manifest entry; the day counts as not committed", uri)
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("tables"), dict) else None


def write_entry(
    storage: LocalStorage | S3Storage, lake_root: str, day: dt.date, entry: dict[str, Any]
) -> None:
    """Commit the day: one atomic write (temp file + rename locally, one PUT on S3)."""
    data = json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
    storage.write_bytes(entry_uri(lake_root, day), data + b"\n")


def same_source(entry: Optional[dict[str, Any]], kind: str, uri: str, size: int, etag: str) -> bool:
    """True when `entry` was built from exactly this object (so it need not be read again)."""
    return (
        entry is not None
        and entry.get("kind") == kind
        and entry.get("source") == uri
        and entry.get("size") == size
        and entry.get("etag") == etag
    )


@dataclass(frozen=True)
class LakeDay:
    """One committed snapshot day: its fingerprint and the file of each of its tables."""

    day: dt.date
    fingerprint: str
    #: table name -> URI of its Parquet file
    files: dict[str, str]
    rows: dict[str, int]
    #: the manifest entry itself (source, size, etag, ... as written by the loader)
    entry: Mapping[str, Any]


def lake_day(lake_root: str, day: dt.date, entry: Mapping[str, Any]) -> LakeDay:
    tables: Mapping[str, Mapping[str, Any]] = entry["tables"]
    files = {
        name: join(partition_dir(lake_root, name, day), t.get("file") or PARTITION_FILE)
        for name, t in tables.items()
    }
    return LakeDay(
        day=day,
        fingerprint=entry.get("fingerprint") or fingerprint(tables),
        files=files,
        rows={name: int(t.get("rows", 0)) for name, t in tables.items()},
        entry=entry,
    )


def _listed_entries(config: Config) -> list[tuple[dt.date, str, str]]:
    """(day, URI, etag) of every manifest entry, from one listing."""
    root = config.lake.root
    found = []
    for info in storage_for(root, config).list(entries_dir(root)):
        m = _ENTRY.search(info.uri.replace("\\", "/"))
        if m:
            found.append((dt.date.fromisoformat(m.group(1)), info.uri, info.etag))
    return found


#: (entry URI, etag) -> LakeDay: an entry is read again only when it was rewritten
_CACHE: dict[tuple[str, str], LakeDay] = {}


def committed_days(config: Config) -> dict[dt.date, LakeDay]:
    """Every committed day of the lake, by date (one listing plus one read per changed entry).

    On S3 the entries are read concurrently (each is a round trip); entries already read by
    this process are reused while their etag is unchanged. A day whose entry is unreadable is
    left out: it is not committed, and the next ingest of its dump redoes it.
    """
    root = config.lake.root
    storage = storage_for(root, config)
    found = _listed_entries(config)

    def read(item: tuple[dt.date, str, str]) -> Optional[LakeDay]:
        day, uri, etag = item
        cached = _CACHE.get((uri, etag))
        if cached is not None:
            return cached
        try:
            data = storage.read_bytes(uri)
        except StorageError:
            if storage.stat(uri) is None:  # removed between the listing and the read
                return None
            raise
        entry = _parse(uri, data)
        if entry is None:
            return None
        _CACHE[(uri, etag)] = result = lake_day(root, day, entry)
        return result

    with ThreadPoolExecutor(max_workers=16 if len(found) > 1 else 1) as pool:
        days = [d for d in pool.map(read, found) if d is not None]
    return {d.day: d for d in sorted(days, key=lambda d: d.day)}


def table_files(days: Mapping[dt.date, LakeDay], table: str) -> list[str]:
    """The committed files of `table`, oldest day first (days without that table are left out)."""
    return [d.files[table] for _, d in sorted(days.items()) if table in d.files]


def as_of_date(days: Iterable[dt.date], start: Optional[dt.date] = None) -> Optional[dt.date]:
    """T, the as-of date of a run: the latest committed lake day (on or after `start`).

    The one definition of T on the Python side (SPEC §4): the models' signal, the job's planning
    and the `lakehouse models` options use it. (Every committed day has a `tenants` table: a
    dump without one is rejected.) The models compute the same date in SQL from their inputs.
    """
    return max((d for d in days if start is None or d >= start), default=None)


#: models.start when it is not set and the lake has no committed day yet
FALLBACK_START = dt.date(2024, 1, 1)


def first_committed_day(config: Config) -> Optional[dt.date]:
    """The lake's first committed day, from one listing of the manifest (no entry is read)."""
    return min((day for day, _uri, _etag in _listed_entries(config)), default=None)


def models_start(config: Config, days: Optional[Iterable[dt.date]] = None) -> dt.date:
    """The first day the models cover: `models.start`, else the lake's first committed day.

    `days`: the committed days when the caller has them (saves the listing).
    """
    if config.models.start is not None:
        return config.models.start
    first = min(days, default=None) if days is not None else first_committed_day(config)
    return first or FALLBACK_START


#: lake root -> the committed days a models job pinned for its SQLMesh run (pin_lake_days)
_PINNED: dict[str, dict[dt.date, LakeDay]] = {}


def pin_lake_days(lake_root: str, days: Mapping[dt.date, LakeDay]) -> None:
    """Until :func:`unpin_lake_days`, :func:`lake_days_for_root` answers `days` for `lake_root`.

    The daily job's models step lists the lake once, decides T and the days to compute from that
    listing, then runs SQLMesh in the same process. Pinned, SQLMesh's lake views and signals see
    exactly the lake the decision was made on (a day committed meanwhile waits for the next run)
    instead of listing it again per view and per model (13 listings of ~40 ms at 400 days).
    """
    _PINNED[lake_root.rstrip("/")] = dict(days)


def unpin_lake_days(lake_root: str) -> None:
    _PINNED.pop(lake_root.rstrip("/"), None)


def lake_days_for_root(lake_root: str) -> dict[dt.date, LakeDay]:
    """:func:`committed_days` of the configured lake, checked to be the lake at `lake_root`.

    For code that only knows the lake root (SQLMesh macros and signals get it as a variable):
    the S3 endpoint and credentials come from the same configuration (`$LAKEHOUSE_CONFIG`).
    A lake pinned by the running job (:func:`pin_lake_days`) is not listed again.
    """
    pinned = _PINNED.get(lake_root.rstrip("/"))
    if pinned is not None:
        return dict(pinned)
    from lake.config import load_config

    config = load_config()
    if config.lake.root.rstrip("/") != lake_root.rstrip("/"):
        config = config.replace(lake=dataclasses.replace(config.lake, root=lake_root))
    return committed_days(config)


def committed_file(config: Config, table: str, day: dt.date) -> Optional[str]:
    """The URI of `table`'s committed file of `day`, or None when the day has no such table."""
    storage = storage_for(config.lake.root, config)
    entry = read_entry(storage, config.lake.root, day)
    return lake_day(config.lake.root, day, entry).files.get(table) if entry is not None else None


def table_sql(config: Config, table: str, days: Optional[Mapping[dt.date, LakeDay]] = None) -> str:
    """A DuckDB table expression over `table`'s committed days (for analysts, tests, benchmarks).

    Typed like the lake (`snapshot_date` DATE from the path); a table with no committed file
    yet is an empty relation of the same columns.
    """
    from lake.layout import read_sql
    from lake.schema import PARTITION_COLUMN, TABLES

    files = table_files(committed_days(config) if days is None else days, table)
    if files:
        return read_sql(files)
    cols = [f"CAST(NULL AS DATE) AS {PARTITION_COLUMN}"] + [
        f"CAST(NULL AS {c.duckdb_type}) AS {c.name}" for c in TABLES[table].columns
    ]
    return f"(SELECT {', '.join(cols)} WHERE false)"
