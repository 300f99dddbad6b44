"""Bulk-load warehouse rows into a MySQL table: LOAD DATA LOCAL INFILE, else multi-row INSERTs.

Runs inside the publish transaction (LOAD DATA is transactional on InnoDB: it rolls back with
the rest). DuckDB writes a CSV in primary-key order (InnoDB appends instead of splitting pages)
and ``LOAD DATA LOCAL INFILE`` streams it (works on Aurora MySQL and MariaDB; needs
``local_infile`` on the server). When the server refuses LOCAL INFILE, the loader switches to
batched multi-row INSERTs of ``publish.batch_rows`` rows for the rest of the run.

Rows that may already exist (changed rows of an upsert) are written with ``REPLACE``:
``LOAD DATA ... REPLACE INTO TABLE`` and ``REPLACE INTO ... VALUES``, which both engines have in
the same syntax and without deprecations (unlike ``ON DUPLICATE KEY UPDATE`` with ``VALUES()``
or a row alias). REPLACE deletes and re-inserts a row with the same primary key, so a column a
DBA added is NULL on rewritten rows. New rows are loaded with plain ``INTO``, whose duplicate
key is an error (INSERT) or a warning (LOAD DATA LOCAL).

LOAD DATA LOCAL turns data errors (truncation, duplicate keys) into warnings, so any warning
fails the load here, with the first warnings in the message; the checksum afterwards is the
second line of defence.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Optional

import pymysql

from lake.errors import PublishError
from publish.checksum import quote_my
from publish.connection import LOCAL_INFILE_DISABLED, error_code
from publish.ddl import qname
from publish.tables import TableSpec
from publish.warehouse import Changes, Warehouse

log = logging.getLogger(__name__)

LOAD_DATA = (
    "LOAD DATA LOCAL INFILE %s {replace}INTO TABLE {table} CHARACTER SET utf8mb4 "
    "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
    "LINES TERMINATED BY '\\n' ({columns})"
)


class BulkLoader:
    """Loads rows from the warehouse; remembers for the run whether LOCAL INFILE works."""

    def __init__(self, warehouse: Warehouse, tmpdir: str, batch_rows: int, method: str = "auto") -> None:
        self.warehouse = warehouse
        self.tmpdir = tmpdir
        self.batch_rows = batch_rows
        #: "auto" (LOAD DATA, falling back), "load_data" or "insert"
        self.use_local_infile = method in ("auto", "load_data")
        self.may_fall_back = method == "auto"

    def load(
        self, cur: Any, spec: TableSpec, database: str, where: str = "", only: Optional[Changes] = None
    ) -> int:
        """Write the warehouse rows of `spec` (filtered by `where`) into `database`.`spec.name`.

        With `only`, just its inserted and updated rows, replacing the MySQL rows of the same key.
        """
        if self.use_local_infile:
            try:
                return self._load_data(cur, spec, database, where, only)
            except pymysql.err.MySQLError as exc:
                if error_code(exc) not in LOCAL_INFILE_DISABLED or not self.may_fall_back:
                    raise
                log.warning(
                    "LOAD DATA LOCAL INFILE is disabled on the server (error %s); "
                    "publishing with multi-row INSERTs (slower)",
                    error_code(exc),
                )
                self.use_local_infile = False
        return self._insert(cur, spec, database, where, only)

    def _load_data(
        self, cur: Any, spec: TableSpec, database: str, where: str, only: Optional[Changes]
    ) -> int:
        table = spec.name
        path = os.path.join(self.tmpdir, f"{database}.{table}.csv")
        try:
            rows = self.warehouse.export_csv(spec, path, where, only)
            if rows == 0:
                return 0
            columns = ", ".join(quote_my(c) for c in spec.column_names)
            replace = "REPLACE " if only is not None else ""
            sql = LOAD_DATA.format(replace=replace, table=qname(database, table), columns=columns)
            cur.execute(sql, (path,))
            affected = cur.rowcount  # a replaced row counts twice (deleted + inserted)
            cur.execute("SELECT @@warning_count")
            warnings = int(cur.fetchone()[0])
            if warnings:
                cur.execute("SHOW WARNINGS LIMIT 5")
                first = "; ".join(f"{r[0]} {r[1]}: {r[2]}" for r in cur.fetchall())
                raise PublishError(
                    f"loading {spec.source} into {database}.{table}: MySQL reported {warnings} warning(s) "
                    f"(data would not round-trip): {first}"
                )
            if not rows <= affected <= (2 * rows if replace else rows):
                raise PublishError(
                    f"loading {spec.source} into {database}.{table}: MySQL loaded {affected} of {rows} rows"
                )
            return rows
        finally:
            if os.path.exists(path):
                os.remove(path)

    def _insert(self, cur: Any, spec: TableSpec, database: str, where: str, only: Optional[Changes]) -> int:
        columns = ", ".join(quote_my(c) for c in spec.column_names)
        marks = ", ".join(["%s"] * len(spec.columns))
        verb = "REPLACE" if only is not None else "INSERT"
        sql = f"{verb} INTO {qname(database, spec.name)} ({columns}) VALUES ({marks})"
        total = 0
        for chunk in self.warehouse.rows(spec, where, self.batch_rows, only):
            cur.executemany(sql, chunk)
            total += len(chunk)
        return total
