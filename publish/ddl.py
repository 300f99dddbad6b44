"""MySQL DDL and introspection, in SQL that runs on both MySQL 8 and MariaDB 10.11.

DDL commits implicitly in MySQL, so it never runs inside the publish transaction: everything
here is done before it (:func:`prepare_tables`) or, for the one-time repair of a legacy table's
primary key, after its COMMIT (:func:`give_grain_primary_key`).

Target tables are InnoDB, utf8mb4 (``utf8mb4_unicode_ci`` exists on both engines), with the
grain as primary key; key columns are NOT NULL, all other columns nullable (a column the
dashboards do not need yet must not make a load fail). Statements that need an exclusive
metadata lock on a table readers use (ADD COLUMN, the key repair) wait at most
:data:`DDL_LOCK_WAIT_SECONDS` for it, because while such a statement waits, new readers of the
table queue behind it; a wait beyond that is a lock-wait error, which the caller retries.

Older versions staged tables as ``<table>__pub_new`` / ``<table>__pub_old``; a killed run of
such a version could leave them behind, so :func:`drop_leftovers` removes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from publish.checksum import quote_my
from publish.tables import Column, TableSpec

LEGACY_SUFFIXES = ("__pub_new", "__pub_old")
TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
#: longest wait for an exclusive metadata lock (new readers queue behind a waiting DDL)
DDL_LOCK_WAIT_SECONDS = 2


def qname(database: str, table: str) -> str:
    return f"{quote_my(database)}.{quote_my(table)}"


def column_ddl(column: Column, key: Sequence[str]) -> str:
    null = "NOT NULL" if column.name in key else "NULL"
    return f"{quote_my(column.name)} {column.mysql_type} {null}"


def create_table_sql(database: str, table: str, spec: TableSpec) -> str:
    cols = [column_ddl(c, spec.key) for c in spec.columns]
    pk = ", ".join(quote_my(k) for k in spec.key)
    return (
        f"CREATE TABLE IF NOT EXISTS {qname(database, table)} (\n  "
        + ",\n  ".join(cols)
        + f",\n  PRIMARY KEY ({pk})\n) {TABLE_OPTIONS}"
    )


def ensure_database(cur: Any, database: str) -> None:
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {quote_my(database)} CHARACTER SET utf8mb4")


def table_columns(cur: Any, database: str, table: str) -> Optional[list[str]]:
    """The table's column names in order, or None when it does not exist."""
    cur.execute(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
        "ORDER BY ORDINAL_POSITION",
        (database, table),
    )
    rows = cur.fetchall()
    return [r[0] for r in rows] or None


def primary_key(cur: Any, database: str, table: str) -> tuple[str, ...]:
    cur.execute(
        "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
        "AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
        (database, table),
    )
    return tuple(r[0] for r in cur.fetchall())


@dataclass(frozen=True)
class LiveTable:
    """What MySQL holds for one target table when the publish transaction starts.

    `created`: the table did not exist before this run; `missing`: it does not exist now (only
    in a dry run, which creates nothing); `added`: columns it lacked (added before the
    transaction; a dry run only reports them, so they are also `absent`); `primary_key`: the
    live key, the grain unless it is a legacy table.
    """

    created: bool
    primary_key: tuple[str, ...]
    added: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    missing: bool = False

    def legacy(self, spec: TableSpec) -> bool:
        return not self.created and self.primary_key != spec.key


def inspect_table(cur: Any, database: str, spec: TableSpec) -> LiveTable:
    """The live table as a dry run sees it (nothing is changed)."""
    present = table_columns(cur, database, spec.name)
    if present is None:
        return LiveTable(created=True, primary_key=spec.key, absent=spec.column_names, missing=True)
    missing = tuple(c.name for c in spec.columns if c.name not in present)
    return LiveTable(False, primary_key(cur, database, spec.name), missing, missing)


def prepare_table(cur: Any, database: str, spec: TableSpec) -> LiveTable:
    """Create the table when missing, add the columns it lacks; safe to re-run.

    Added columns hold NULL until the transaction that fills them commits.
    """
    present = table_columns(cur, database, spec.name)
    if present is None:
        cur.execute(create_table_sql(database, spec.name, spec))
        return LiveTable(created=True, primary_key=spec.key)
    missing = [c for c in spec.columns if c.name not in present]
    if missing:
        with short_lock_wait(cur):
            adds = ", ".join(f"ADD COLUMN {column_ddl(c, spec.key)}" for c in missing)
            cur.execute(f"ALTER TABLE {qname(database, spec.name)} {adds}")
    return LiveTable(False, primary_key(cur, database, spec.name), tuple(c.name for c in missing))


def drop_leftovers(cur: Any, database: str, tables: Sequence[str]) -> list[str]:
    """Drop the staging tables of an older publish version; returns their names."""
    dropped = []
    for table in tables:
        for name in (table + suffix for suffix in LEGACY_SUFFIXES):
            if table_columns(cur, database, name) is not None:
                cur.execute(f"DROP TABLE IF EXISTS {qname(database, name)}")
                dropped.append(f"{database}.{name}")
    return dropped


def give_grain_primary_key(cur: Any, database: str, spec: TableSpec) -> None:
    """Make the grain the primary key of a legacy table (run after its rows were rewritten).

    The committed rows are the warehouse's, unique and non-NULL on the grain, so this changes
    the table's definition, not what a reader sees. Key columns keep their type and become NOT NULL.
    """
    cur.execute(
        "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
        "AND TABLE_NAME = %s",
        (database, spec.name),
    )
    types = dict(cur.fetchall())
    parts = ["DROP PRIMARY KEY"] if primary_key(cur, database, spec.name) else []
    parts += [f"MODIFY {quote_my(k)} {types[k]} NOT NULL" for k in spec.key]
    parts.append(f"ADD PRIMARY KEY ({', '.join(quote_my(k) for k in spec.key)})")
    with short_lock_wait(cur):
        cur.execute(f"ALTER TABLE {qname(database, spec.name)} {', '.join(parts)}")


class short_lock_wait:
    """`with short_lock_wait(cur):` -- the statements inside wait at most DDL_LOCK_WAIT_SECONDS."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def __enter__(self) -> None:
        self.cur.execute("SELECT @@SESSION.lock_wait_timeout")
        self.saved = int(self.cur.fetchone()[0])
        self.cur.execute("SET SESSION lock_wait_timeout = %s", (DDL_LOCK_WAIT_SECONDS,))

    def __exit__(self, *exc: object) -> None:
        try:
            self.cur.execute("SET SESSION lock_wait_timeout = %s", (self.saved,))
        except Exception:  # the connection is gone: its settings are gone with it
            if exc[0] is None:
                raise
