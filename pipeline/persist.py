"""The persisted warehouse of ephemeral runs (``warehouse.persist_uri``): versions and a pointer.

An ECS/Glue task starts with an empty disk, so the DuckDB warehouse (SQLMesh state + tables)
is kept at ``persist_uri`` (S3, or a path on a mounted volume) between runs:

* every successful session uploads its copy as a **new object**
  ``<persist_uri>-versions/<UTC time>-<session>.duckdb`` and then moves the **pointer**
  ``<persist_uri>.current.json`` to it in one conditional write (S3 ``If-Match`` the pointer
  the session started from; a run whose lock was taken over cannot move it);
* the pointer keeps the version it replaced as ``previous`` (for a rollback by hand: copy its
  URI into ``uri``); older versions are deleted;
* a failed or killed run never uploads, so the last good copy is never overwritten;
* a copy that cannot be fetched or opened is reported and the warehouse is rebuilt from the
  lake (only time is lost: the lake is the source of truth).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import Optional

from lake.config import Config
from lake.errors import StorageError, WarehouseError
from lake.storage import storage_for

log = logging.getLogger(__name__)


def pointer_uri(persist_uri: str) -> str:
    return persist_uri + ".current.json"


def versions_prefix(persist_uri: str) -> str:
    # not ".versions": SeaweedFS keeps its own object versions in "<key>.versions" folders and
    # hides them from listings
    return persist_uri + "-versions"


@dataclass(frozen=True)
class Pointer:
    #: the version the warehouse is at
    uri: str
    size: int
    created_at: str
    #: the version before it (kept for a rollback)
    previous: Optional[str]
    #: etag of the pointer object itself (the precondition of the next move)
    etag: str


def read_pointer(config: Config) -> Optional[Pointer]:
    """The current pointer, or None when nothing was persisted yet."""
    uri = pointer_uri(config.warehouse.persist_uri or "")
    found = storage_for(uri, config).read_versioned(uri)
    if found is None:
        return None
    raw, etag = found
    try:
        data = json.loads(raw)
        return Pointer(data["uri"], int(data["size"]), data["created_at"], data.get("previous"), etag)
    except (ValueError, KeyError, TypeError):
        raise WarehouseError(
            f"{uri}: unreadable warehouse pointer; fix or delete it (the warehouse is then rebuilt)"
        ) from None


def remove_local(path: str) -> None:
    """Delete a local warehouse file and its WAL (what a failed run may have left)."""
    for p in (path, path + ".wal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)


def fetch(config: Config, pointer: Optional[Pointer]) -> str:
    """Replace the local warehouse with the persisted version; returns what happened (for the log).

    The local file is always discarded first: it may be the half-updated copy of a run that
    failed on this machine or volume. A version that cannot be downloaded completely or opened
    by DuckDB is reported and left out: the models rebuild the warehouse from the lake.
    """
    path = config.warehouse.path
    remove_local(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    if pointer is None:
        return "no persisted warehouse yet: the models build it from the lake"
    storage = storage_for(pointer.uri, config)
    try:
        storage.download_file(pointer.uri, path)
        size = os.path.getsize(path)
        if size != pointer.size:
            raise WarehouseError(f"{size} bytes instead of {pointer.size}")
        _check_opens(path)
    except (WarehouseError, StorageError) as exc:
        remove_local(path)
        log.warning(
            "persisted warehouse %s cannot be used (%s): rebuilding it from the lake", pointer.uri, exc
        )
        return f"persisted warehouse {pointer.uri} unusable ({exc}): rebuilt from the lake"
    return f"fetched warehouse {pointer.uri} ({pointer.size / 1e6:.1f} MB)"


def _check_opens(path: str) -> None:
    import duckdb

    try:
        con = duckdb.connect(path, read_only=True)
        try:
            con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise WarehouseError(f"DuckDB cannot open it: {' '.join(str(exc).split())[:200]}") from None


def persist(config: Config, started_from: Optional[Pointer], session: str) -> Pointer:
    """Upload the local warehouse as a new version and move the pointer to it (see the module doc)."""
    import duckdb

    base = config.warehouse.persist_uri or ""
    path = config.warehouse.path
    con = duckdb.connect(path)
    try:
        con.execute("CHECKPOINT")  # everything in the main file, no WAL to lose
    finally:
        con.close()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    version = f"{versions_prefix(base)}/{stamp}-{session[:8]}.duckdb"
    storage = storage_for(base, config)
    size = os.path.getsize(path)
    storage.upload_file(path, version)
    body = json.dumps(
        {
            "uri": version,
            "size": size,
            "created_at": stamp,
            "previous": started_from.uri if started_from else None,
            "session": session,
        },
        indent=2,
    ).encode()
    ptr = pointer_uri(base)
    if started_from is None:
        etag = storage.put_if_absent(ptr, body)
    else:
        etag = storage.put_if_match(ptr, body, started_from.etag)
    if not etag:
        with contextlib.suppress(StorageError):
            storage.delete(version)
        raise WarehouseError(
            f"{ptr} was moved by another run while this one worked (its lock was taken over?): "
            "this run's warehouse is discarded; the next run recomputes from the lake"
        )
    _prune(config, keep={version, started_from.uri if started_from else ""})
    log.info("persisted warehouse %s (%.1f MB)", version, size / 1e6)
    return Pointer(version, size, stamp, started_from.uri if started_from else None, str(etag))


def _prune(config: Config, keep: set[str]) -> None:
    """Delete versions other than the current and the previous one (best effort)."""
    prefix = versions_prefix(config.warehouse.persist_uri or "")
    storage = storage_for(prefix, config)
    try:
        for info in list(storage.list(prefix)):
            if info.uri not in keep:
                storage.delete(info.uri)
    except StorageError as exc:
        log.warning("could not delete old warehouse versions under %s: %s", prefix, exc)
