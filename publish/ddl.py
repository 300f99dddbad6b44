"""MySQL DDL and introspection, in SQL that runs on both MySQL 8 and MariaDB 10.11.

Target tables are InnoDB, utf8mb4 (``utf8mb4_unicode_ci`` exists on both engines), with the
grain as primary key; key columns are NOT NULL, all other columns nullable (a column the
dashboards do not need yet must not make a load fail). Staging tables carry fixed suffixes so
that a run can find and drop what a killed run left behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from publish.checksum import quote_my
from publish.tables import Column, TableSpec

NEW_SUFFIX = "__pub_new"
OLD_SUFFIX = "__pub_old"
TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"


def qname(database: str, table: str) -> str:
    return f"{quote_my(database)}.{quote_my(table)}"


def column_ddl(column: Column, key: Sequence[str]) -> str:
    null = "NOT NULL" if column.name in key else "NULL"
    return f"{quote_my(column.name)} {column.mysql_type} {null}"


def create_table_sql(database: str, table: str, spec: TableSpec) -> str:
    cols = [column_ddl(c, spec.key) for c in spec.columns]
    pk = ", ".join(quote_my(k) for k in spec.key)
    return (
        f"CREATE TABLE {qname(database, table)} (\n  "
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


def create_staging(cur: Any, database: str, spec: TableSpec, like_live: bool) -> list[str]:
    """Create `<table>__pub_new` and return the columns it had to gain (ALTER TABLE ADD COLUMN).

    With `like_live` the staging table is a copy of the live definition (keeping indexes,
    column types and nullable columns a DBA added), then every published column it lacks is
    added; otherwise it is created from the spec.
    """
    staging = spec.name + NEW_SUFFIX
    cur.execute(f"DROP TABLE IF EXISTS {qname(database, staging)}")
    if not like_live:
        cur.execute(create_table_sql(database, staging, spec))
        return []
    cur.execute(f"CREATE TABLE {qname(database, staging)} LIKE {qname(database, spec.name)}")
    present = set(table_columns(cur, database, staging) or [])
    added = []
    for c in spec.columns:
        if c.name not in present:
            cur.execute(f"ALTER TABLE {qname(database, staging)} ADD COLUMN {column_ddl(c, spec.key)}")
            added.append(c.name)
    return added


def drop_leftovers(cur: Any, database: str, tables: Sequence[str]) -> list[str]:
    """Drop staging tables a killed run left behind; returns their names."""
    dropped = []
    for table in tables:
        for name in (table + NEW_SUFFIX, table + OLD_SUFFIX):
            if table_columns(cur, database, name) is not None:
                cur.execute(f"DROP TABLE IF EXISTS {qname(database, name)}")
                dropped.append(f"{database}.{name}")
    return dropped


def swap_sql(swaps: Sequence[tuple[str, str, bool]]) -> str:
    """One RENAME TABLE for all (database, table, live_exists): atomic on both engines."""
    parts = []
    for database, table, live_exists in swaps:
        live = qname(database, table)
        if live_exists:
            parts.append(f"{live} TO {qname(database, table + OLD_SUFFIX)}")
        parts.append(f"{qname(database, table + NEW_SUFFIX)} TO {live}")
    return "RENAME TABLE " + ", ".join(parts)
