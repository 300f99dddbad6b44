"""Bookkeeping tables in `mysql.log_database`: ``publish_log`` and the per-day checksums.

``publish_log`` gets one row per table per run, written in the publish transaction itself (so
an ``ok`` row exists exactly when the data committed), and one ``failed`` row when a run fails
after reaching MySQL, written afterwards in its own short transaction; an operator can answer
"what was published when, as of which day". :func:`read_run` reads a run's ``ok`` rows back: a
retry after a connection lost during COMMIT uses them to tell whether the COMMIT went through.
:func:`read_latest` is the monitoring read (`lakehouse status`): the last ``ok`` row of every
table and the last ``failed`` row, two small queries, nothing written.

``publish_days__<table>`` holds, for every published day of a day-windowed table, its verified
(rows, checksum) and the warehouse's quick hash of that day, written in the same transaction
as the data. The daily publish compares the warehouse's quick hashes with
it to find the changed days without MD5-hashing 6M rows on either side; a stored checksum is
trusted only while the day's row count in MySQL still matches, and the whole state is rebuilt
by a full scan when missing or when the column set changed (`lakehouse publish --full-verify`
forces that scan).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from publish.checksum import checksummed
from publish.ddl import TABLE_OPTIONS, qname, table_columns
from publish.report import PublishReport
from publish.tables import Column, TableSpec

LOG_TABLE = "publish_log"
#: bump when the checksum definition changes: stored day checksums then become untrusted
CHECKSUM_VERSION = "v1"


def state_table(spec: TableSpec) -> str:
    return f"publish_days__{spec.name}"


def columns_signature(columns: Sequence[Column]) -> str:
    text = CHECKSUM_VERSION + ";" + ",".join(f"{c.name}:{c.kind}" for c in checksummed(columns))
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def ensure_log_table(cur: Any, database: str) -> None:
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {qname(database, LOG_TABLE)} (\n"
        "  `id` BIGINT NOT NULL AUTO_INCREMENT,\n"
        "  `run_id` CHAR(32) NOT NULL,\n"
        "  `published_at` DATETIME(6) NOT NULL COMMENT 'UTC',\n"
        "  `database_name` VARCHAR(64) NOT NULL,\n"
        "  `table_name` VARCHAR(64) NOT NULL,\n"
        "  `as_of_date` DATE NULL,\n"
        "  `status` VARCHAR(8) NOT NULL,\n"
        "  `strategy` VARCHAR(16) NOT NULL,\n"
        "  `rows_inserted` BIGINT NOT NULL,\n"
        "  `rows_updated` BIGINT NOT NULL,\n"
        "  `rows_deleted` BIGINT NOT NULL,\n"
        "  `rows_total` BIGINT NOT NULL,\n"
        "  `checksum` VARCHAR(40) NULL,\n"
        "  `duration_seconds` DECIMAL(10,3) NOT NULL,\n"
        "  `message` VARCHAR(1000) NULL,\n"
        "  PRIMARY KEY (`id`),\n"
        "  KEY `ix_publish_log_table_time` (`table_name`, `published_at`)\n"
        f") {TABLE_OPTIONS}"
    )


def state_ddl(database: str, table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {qname(database, table)} (\n"
        "  `day` DATE NOT NULL,\n"
        "  `row_count` BIGINT NOT NULL,\n"
        "  `checksum` DECIMAL(40,0) NOT NULL,\n"
        "  `columns_signature` CHAR(32) NOT NULL,\n"
        "  `quick_hash` DECIMAL(40,0) NOT NULL,\n"
        "  `quick_signature` CHAR(32) NOT NULL,\n"
        "  `published_at` DATETIME(6) NOT NULL COMMENT 'UTC',\n"
        "  PRIMARY KEY (`day`)\n"
        f") {TABLE_OPTIONS}"
    )


STATE_COLUMNS = [
    "day", "row_count", "checksum", "columns_signature", "quick_hash", "quick_signature", "published_at"
]  # fmt: skip


@dataclass(frozen=True)
class StoredDay:
    rows: int
    checksum: int
    quick_hash: int
    quick_signature: str


def ensure_state_table(cur: Any, database: str, table: str) -> None:
    """Create the state table; one of another shape (an older version's) is only a cache: replace it."""
    present = table_columns(cur, database, table)
    if present is not None and present != STATE_COLUMNS:
        cur.execute(f"DROP TABLE {qname(database, table)}")
    cur.execute(state_ddl(database, table))


def read_state(
    cur: Any, database: str, spec: TableSpec, columns: Sequence[Column]
) -> Optional[dict[dt.date, StoredDay]]:
    """The stored days, or None when absent or computed over other columns."""
    table = state_table(spec)
    if table_columns(cur, database, table) != STATE_COLUMNS:
        return None
    cur.execute(
        "SELECT `day`, `row_count`, `checksum`, `columns_signature`, `quick_hash`, `quick_signature` "
        f"FROM {qname(database, table)}"
    )
    rows = cur.fetchall()
    signature = columns_signature(columns)
    if any(r[3] != signature for r in rows):
        return None
    return {r[0]: StoredDay(int(r[1]), int(r[2]), int(r[4]), r[5]) for r in rows}


def write_state(
    cur: Any,
    database: str,
    table: str,
    columns: Sequence[Column],
    days: dict[dt.date, tuple[int, int]],
    quick: dict[dt.date, tuple[int, int]],
    quick_signature: str,
    now: dt.datetime,
) -> None:
    """Replace the whole state of `table` (a few hundred rows) with `days` and their quick hashes."""
    cur.execute(f"DELETE FROM {qname(database, table)}")
    signature = columns_signature(columns)
    rows = [
        (d, n, str(s), signature, str(quick[d][1]), quick_signature, now)
        for d, (n, s) in sorted(days.items())
    ]
    for i in range(0, len(rows), 1000):
        cur.executemany(
            f"INSERT INTO {qname(database, table)} (`day`, `row_count`, `checksum`, `columns_signature`, "
            "`quick_hash`, `quick_signature`, `published_at`) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows[i : i + 1000],
        )


def write_log(cur: Any, database: str, report: PublishReport, published_at: dt.datetime) -> None:
    rows = []
    for t in report.tables:
        db, table = t.table.split(".", 1)
        rows.append(
            (report.run_id, published_at, db, table, report.as_of, "ok", t.strategy, t.inserted, t.updated,
             t.deleted, t.total, str(t.checksum), round(t.seconds, 3), t.note[:1000] or None)
        )  # fmt: skip
    cur.executemany(
        f"INSERT INTO {qname(database, LOG_TABLE)} (`run_id`, `published_at`, `database_name`, `table_name`, "
        "`as_of_date`, `status`, `strategy`, `rows_inserted`, `rows_updated`, `rows_deleted`, `rows_total`, "
        "`checksum`, `duration_seconds`, `message`) VALUES "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        rows,
    )


def read_run(cur: Any, database: str, run_id: str) -> list[dict[str, Any]]:
    """The ``ok`` rows of one run, in the order they were written (empty: it did not commit)."""
    cur.execute(
        "SELECT `database_name`, `table_name`, `strategy`, `rows_inserted`, `rows_updated`, `rows_deleted`, "
        f"`rows_total`, `checksum`, `duration_seconds`, `message` FROM {qname(database, LOG_TABLE)} "
        "WHERE `run_id` = %s AND `status` = 'ok' ORDER BY `id`",
        (run_id,),
    )
    names = [
        "database", "table", "strategy", "inserted", "updated", "deleted",
        "total", "checksum", "seconds", "note",
    ]  # fmt: skip
    return [dict(zip(names, row)) for row in cur.fetchall()]


def write_failure(
    cur: Any, database: str, run_id: str, as_of: Optional[dt.date], seconds: float, message: str
) -> None:
    cur.execute(
        f"INSERT INTO {qname(database, LOG_TABLE)} (`run_id`, `published_at`, `database_name`, `table_name`, "
        "`as_of_date`, `status`, `strategy`, `rows_inserted`, `rows_updated`, `rows_deleted`, `rows_total`, "
        "`checksum`, `duration_seconds`, `message`) VALUES (%s, %s, %s, %s, %s, 'failed', '-', 0, 0, 0, 0, "
        "NULL, %s, %s)",
        (run_id, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), database, "*", as_of,
         round(seconds, 3), message[:1000]),
    )  # fmt: skip


@dataclass(frozen=True)
class LogRow:
    """One ``publish_log`` row, as :func:`read_latest` returns it (``published_at`` is UTC, naive)."""

    #: the row's id: rows of later runs have larger ids
    id: int
    run_id: str
    published_at: dt.datetime
    #: "<database>.<table>" in MySQL (``*`` for a failed run's row)
    table: str
    as_of: Optional[dt.date]
    status: str
    strategy: str
    rows_total: int
    rows_inserted: int
    rows_updated: int
    rows_deleted: int
    message: Optional[str]


_LOG_COLUMNS = (
    "`id`, `run_id`, `published_at`, `database_name`, `table_name`, `as_of_date`, `status`, `strategy`, "
    "`rows_total`, `rows_inserted`, `rows_updated`, `rows_deleted`, `message`"
)


def _log_row(r: Sequence[Any]) -> LogRow:
    return LogRow(
        int(r[0]), r[1], r[2], f"{r[3]}.{r[4]}", r[5], r[6], r[7], int(r[8]), int(r[9]), int(r[10]),
        int(r[11]), r[12],
    )  # fmt: skip


def read_latest(cur: Any, database: str) -> tuple[list[LogRow], Optional[LogRow]]:
    """(the last ``ok`` row of every table, by table name; the last ``failed`` row or None).

    Both are empty when ``publish_log`` does not exist (nothing was ever published). Read only.
    """
    if table_columns(cur, database, LOG_TABLE) is None:
        return [], None
    log = qname(database, LOG_TABLE)
    cur.execute(
        f"SELECT {_LOG_COLUMNS} FROM {log} WHERE `id` IN (SELECT MAX(`id`) FROM {log} "
        "WHERE `status` = 'ok' GROUP BY `database_name`, `table_name`) ORDER BY `database_name`, `table_name`"
    )
    ok = [_log_row(r) for r in cur.fetchall()]
    cur.execute(f"SELECT {_LOG_COLUMNS} FROM {log} WHERE `status` = 'failed' ORDER BY `id` DESC LIMIT 1")
    row = cur.fetchone()
    return ok, _log_row(row) if row else None
