"""The ingest manifest: one small JSON per snapshot day under ``<lake>/_manifest/ingest/``.

An entry records what the day's partitions were built from (source URI, size, etag, sha256,
kind ``dump`` or ``legacy``), the rows and the sha256 of each table's Parquet file, when, and by
which loader version. It is written *after* the day's data files, so it is the commit record:
an ingest that died half-way leaves the old entry, whose source no longer matches, and the
next run redoes the day. One file per day keeps parallel workers from contending on one object.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any, Optional

from lake.layout import join, manifest_dir
from lake.storage import LocalStorage, S3Storage

log = logging.getLogger(__name__)

KIND_DUMP = "dump"
KIND_LEGACY = "legacy"


def entry_uri(lake_root: str, day: dt.date) -> str:
    return join(manifest_dir(lake_root), "ingest", f"{day.isoformat()}.json")


def read_entry(storage: LocalStorage | S3Storage, lake_root: str, day: dt.date) -> Optional[dict[str, Any]]:
    """The day's entry, or None when the day was never ingested (or its entry is unreadable)."""
    uri = entry_uri(lake_root, day)
    if storage.stat(uri) is None:
        return None
    try:
        entry = json.loads(storage.read_bytes(uri).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        log.warning("%s: unreadable manifest entry; the day is ingested again", uri)
        return None
    return entry if isinstance(entry, dict) else None


def write_entry(
    storage: LocalStorage | S3Storage, lake_root: str, day: dt.date, entry: dict[str, Any]
) -> None:
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
