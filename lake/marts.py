"""The analysts' snapshot of the warehouse: Parquet marts in the lake, one commit per models run.

The warehouse (a DuckDB file) is the daily job's working file: an analyst holding it open
blocks the job, and a copy is useless (its views name the writer's catalog). So after every
successful models run, inside the warehouse session, the silver and gold tables are exported
next to the lake, where no writer ever holds a file open:

    <lake>/marts/<schema>/<table>/<sha16>.parquet                        (whole tables)
    <lake>/marts/<schema>/<table>/snapshot_date=<D>/<sha16>.parquet      (day-partitioned tables)
    <lake>/_manifest/marts.json                                          (the commit)

Rules:

* files are named by their content and never rewritten; ``marts.json`` is written in one
  atomic write after all its files exist, so a reader sees one whole version (the one it read
  the manifest of) or the one before;
* the files of the current and the previous version are kept (a query that read the previous
  manifest a moment ago still finds its files); anything else under ``marts/`` (older versions,
  files of a run killed before its commit) is deleted by the next export;
* the day-partitioned tables (``silver.tenant_daily_snapshots``,
  ``silver.tenant_room_snapshot_daily``, 11M rows at 400 days) are exported per day, and a day
  is written again only when the lake content the warehouse computed it from
  (``intermediate.computed_lake_days``) or the model's physical table (its SQLMesh version)
  changed; the other tables are small and exported whole every time;
* views over the files (:func:`mart_sql`) never name the writer's catalog; the status code
  seed (``reference.status_codes``) comes along, for labels and stages.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from lake.config import Config
from lake.layout import join, manifest_dir
from lake.schema import PARTITION_COLUMN
from lake.spark import COPY_VERSIONS
from lake.storage import sha256_file, storage_for

log = logging.getLogger("lakehouse.marts")

#: the tables analysts get, and whether each is exported per snapshot day
MART_TABLES: dict[str, bool] = {
    "silver.tenant_daily_snapshots": True,
    "silver.tenant_room_snapshot_daily": True,
    "silver.tenant_status_history": False,
    "gold.tenant_status_transitions": False,
    "gold.occupancy_daily_metrics": False,
    "gold.occupancy_daily_metrics_by_apartment": False,
    "gold.occupancy_daily_metrics_by_area": False,
    "gold.occupancy_projection_accuracy": False,
    "reference.status_codes": False,
}

#: the warehouse model recording the lake content each day was computed from
RECORD_TABLE = "intermediate.computed_lake_days"


def marts_dir(lake_root: str) -> str:
    return join(lake_root, "marts")


def marts_manifest_uri(lake_root: str) -> str:
    return join(manifest_dir(lake_root), "marts.json")


def table_dir(lake_root: str, table: str) -> str:
    schema, name = table.split(".")
    return join(marts_dir(lake_root), schema, name)


@dataclass
class MartsManifest:
    """One committed version of the marts (the content of ``_manifest/marts.json``)."""

    #: T, the warehouse's latest computed day
    as_of: Optional[dt.date]
    #: UTC time of the commit, ISO 8601
    written_at: str
    #: the warehouse session that exported it
    session: Optional[str]
    #: table -> {"files": [uri...], "rows": n, "version": physical table,
    #:           "days": {"YYYY-MM-DD": {"file": uri, "fingerprint": lake fingerprint}} (partitioned)}
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the files of the version before (kept for readers of that version)
    previous_files: list[str] = field(default_factory=list)
    #: day -> lake fingerprint the warehouse computed it from
    computed_from: dict[str, str] = field(default_factory=dict)

    def files(self) -> set[str]:
        return {f for t in self.tables.values() for f in t["files"]}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "written_at": self.written_at,
            "session": self.session,
            "tables": self.tables,
            "previous_files": sorted(self.previous_files),
            "computed_from": self.computed_from,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MartsManifest:
        as_of = data.get("as_of")
        return cls(
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
            written_at=data["written_at"],
            session=data.get("session"),
            tables=dict(data["tables"]),
            previous_files=list(data.get("previous_files", [])),
            computed_from=dict(data.get("computed_from", {})),
        )


def read_marts(config: Config) -> Optional[MartsManifest]:
    """The committed marts of the lake, or None when no models run has exported any yet."""
    storage = storage_for(config.lake.root, config)
    uri = marts_manifest_uri(config.lake.root)
    if storage.stat(uri) is None:
        return None
    return MartsManifest.from_json(json.loads(storage.read_bytes(uri)))


@dataclass
class MartsReport:
    as_of: Optional[dt.date]
    tables: int
    rows: int
    #: files written by this export (unchanged days are kept, not rewritten)
    files_written: int
    files_deleted: int
    seconds: float

    def summary(self) -> str:
        return (
            f"marts as of {self.as_of}: {self.tables} tables, {self.rows:,} rows; "
            f"{self.files_written} file(s) written, {self.files_deleted} removed in {self.seconds:.1f}s"
        )


def export_marts(config: Config, session: Optional[str] = None) -> MartsReport:
    """Export the warehouse's silver/gold tables as the next marts version (see the module doc).

    Call it inside the warehouse session, after a successful models run, with the warehouse
    (``config.warehouse.path``) closed by every writer.
    """
    from lake.connection import connect

    started = time.monotonic()
    storage = storage_for(config.lake.root, config)
    old = read_marts(config)
    con = connect(config, config.warehouse.path, read_only=True)
    written = 0
    try:
        computed = _computed_from(con)
        as_of = max((dt.date.fromisoformat(d) for d in computed), default=None)
        tables: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryDirectory(prefix="lakehouse-marts-") as tmp:
            for table, by_day in MART_TABLES.items():
                version = _physical_table(con, table)
                previous = (old.tables.get(table) if old else None) or {}
                if by_day:
                    entry, n = _export_days(con, storage, config, table, version, previous, computed, tmp)
                else:
                    entry, n = _export_whole(con, storage, config, table, version, tmp)
                written += n
                tables[table] = entry
    finally:
        con.close()
    new = MartsManifest(
        as_of=as_of,
        written_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        session=session,
        tables=tables,
        previous_files=sorted(old.files()) if old else [],
        computed_from=computed,
    )
    storage.write_bytes(marts_manifest_uri(config.lake.root), json.dumps(new.to_json(), indent=1).encode())
    deleted = _sweep(storage, config, new.files() | set(new.previous_files))
    report = MartsReport(
        as_of=as_of,
        tables=len(tables),
        rows=sum(int(t["rows"]) for t in tables.values()),
        files_written=written,
        files_deleted=deleted,
        seconds=time.monotonic() - started,
    )
    log.info("%s", report.summary())
    return report


def _computed_from(con: Any) -> dict[str, str]:
    if not _has_table(con, RECORD_TABLE):
        return {}
    rows = con.execute(f"SELECT {PARTITION_COLUMN}, lake_fingerprint FROM {RECORD_TABLE}").fetchall()
    return {d.isoformat(): fp for d, fp in rows}


def _physical_table(con: Any, table: str) -> str:
    """The SQL of the view SQLMesh's virtual layer keeps for `table` (it names the model version).

    In a copy of the spark gateway's tables (lake.spark.copy_spark_tables) it is the Spark view's,
    recorded in COPY_VERSIONS.
    """
    schema, name = table.split(".")
    row = con.execute(
        "SELECT sql FROM duckdb_views() WHERE schema_name = ? AND view_name = ? AND NOT internal",
        [schema, name],
    ).fetchone()
    if row is None and _has_table(con, COPY_VERSIONS):
        row = con.execute(f"SELECT version FROM {COPY_VERSIONS} WHERE table_name = ?", [table]).fetchone()
    return row[0] if row else table


def _has_table(con: Any, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _put(storage: Any, config: Config, table: str, local: str, day: Optional[str] = None) -> str:
    sha = sha256_file(local)
    base = table_dir(config.lake.root, table)
    if day is not None:
        base = join(base, f"{PARTITION_COLUMN}={day}")
    uri = join(base, f"{sha[:16]}.parquet")
    if storage.stat(uri) is None:
        storage.upload_file(local, uri)
    return uri


def _copy(con: Any, query: str, path: str, partition: bool = False) -> None:
    options = "FORMAT parquet, COMPRESSION zstd"
    if partition:
        options += f", PARTITION_BY ({PARTITION_COLUMN}), OVERWRITE_OR_IGNORE true"
    con.execute(f"COPY ({query}) TO '{path}' ({options})")


def _export_whole(
    con: Any, storage: Any, config: Config, table: str, version: str, tmp: str
) -> tuple[dict, int]:
    local = os.path.join(tmp, table + ".parquet")
    _copy(con, f"SELECT * FROM {table}", local)
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{local}')").fetchone()[0]
    return {"files": [_put(storage, config, table, local)], "rows": int(rows), "version": version}, 1


def _export_days(
    con: Any,
    storage: Any,
    config: Config,
    table: str,
    version: str,
    previous: Mapping[str, Any],
    computed: Mapping[str, str],
    tmp: str,
) -> tuple[dict, int]:
    """Export the days whose content or model version changed; keep the others' files."""
    counts = {
        d.isoformat(): int(n)
        for d, n in con.execute(f"SELECT {PARTITION_COLUMN}, count(*) FROM {table} GROUP BY 1").fetchall()
    }
    old_days: Mapping[str, Any] = previous.get("days", {}) if previous.get("version") == version else {}
    keep = {
        d: old_days[d]
        for d in counts
        if d in old_days
        and old_days[d].get("fingerprint") == computed.get(d)
        and old_days[d].get("rows") == counts[d]
    }
    if not counts:  # no rows yet: one empty file keeps the table's columns
        entry, n = _export_whole(con, storage, config, table, version, tmp)
        return {**entry, "days": {}}, n
    todo = sorted(set(counts) - set(keep))
    days = dict(keep)
    if todo:
        out = os.path.join(tmp, table)
        listed = ", ".join(f"DATE '{d}'" for d in todo)
        _copy(con, f"SELECT * FROM {table} WHERE {PARTITION_COLUMN} IN ({listed})", out, partition=True)
        for d in todo:
            folder = os.path.join(out, f"{PARTITION_COLUMN}={d}")
            files = sorted(os.listdir(folder))
            if len(files) != 1:  # one file per day: merge if DuckDB wrote several
                merged = os.path.join(tmp, f"{table}-{d}.parquet")
                _copy(con, f"SELECT * FROM read_parquet('{folder}/*.parquet')", merged)
                local = merged
            else:
                local = os.path.join(folder, files[0])
            days[d] = {
                "file": _put(storage, config, table, local, d),
                "fingerprint": computed.get(d),
                "rows": counts[d],
            }
    ordered = {d: days[d] for d in sorted(days)}
    entry = {
        "files": [v["file"] for v in ordered.values()],
        "rows": sum(counts.values()),
        "version": version,
        "days": ordered,
    }
    return entry, len(todo)


def _sweep(storage: Any, config: Config, keep: set[str]) -> int:
    """Delete every file under marts/ that neither the current nor the previous version names."""
    deleted = 0
    for info in list(storage.list(marts_dir(config.lake.root))):
        if info.uri not in keep:
            storage.delete(info.uri)
            deleted += 1
    return deleted


def mart_sql(config: Config, table: str, manifest: Optional[MartsManifest] = None) -> str:
    """A DuckDB table expression over `table`'s files in the committed marts version.

    Raises LookupError when no models run has exported the marts yet.
    """
    from lake.layout import read_sql

    manifest = manifest or read_marts(config)
    if manifest is None or table not in manifest.tables:
        raise LookupError(
            f"no marts of {table} in {marts_dir(config.lake.root)} yet: the next models run "
            "(lakehouse models or lakehouse daily) exports them"
        )
    entry = manifest.tables[table]
    if entry.get("days"):  # one file per day under snapshot_date=<D>/: the day comes from the path
        return f"(SELECT {PARTITION_COLUMN}, * EXCLUDE ({PARTITION_COLUMN}) FROM {read_sql(entry['files'])})"
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in entry["files"])
    return f"read_parquet([{listed}])"
