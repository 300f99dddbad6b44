"""The DuckDB side of publish: the warehouse file, opened read-only, never modified.

Everything publish needs from the warehouse is computed here in SQL: which tables and
columns exist (a missing one is an error before anything touches MySQL), the as-of date, the
per-table and per-day checksums, the rows that differ by key from what MySQL holds (a DuckDB
temporary table, see :meth:`Warehouse.changes`), and the CSV files that are bulk-loaded into
MySQL. Checksums are memoised for the run: the file does not change while publish reads it, so
a retried transaction does not hash the warehouse again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

import duckdb
import pyarrow as pa

from lake.config import Config
from lake.connection import connect
from lake.errors import PublishError
from publish.checksum import duck_row_hash, duck_value, quote_duck
from publish.tables import Column, TableSpec, column_for

log = logging.getLogger(__name__)

#: (row count, checksum)
Fingerprint = tuple[int, int]


@dataclass(frozen=True)
class Changes:
    """The rows of one table that differ by key between the warehouse and MySQL.

    `table` is a DuckDB temporary table with the key columns (``k0``, ``k1``, ...; cast to the
    published types) and ``change`` = ``insert`` (key only in the warehouse), ``update`` (row
    hash differs) or ``delete`` (key only in MySQL).
    """

    table: str
    #: number of key columns (k0 .. k<n-1>)
    width: int
    inserted: int
    updated: int
    deleted: int


class Warehouse:
    """A read-only view of the warehouse tables that publish reads."""

    def __init__(self, config: Config) -> None:
        self.path = config.warehouse.path
        if not os.path.isfile(self.path):
            raise PublishError(f"warehouse not found: {self.path} (run the models first: lakehouse models)")
        try:
            self.con = connect(config, self.path, read_only=True)
        except duckdb.Error as exc:
            text = " ".join(str(exc).split())
            if "lock" in text.lower():
                raise PublishError(
                    f"warehouse {self.path} is locked by another process (a model run?): {text}"
                ) from None
            raise PublishError(f"cannot open warehouse {self.path}: {text}") from None
        self._memo: dict[str, Any] = {}
        try:
            # TIMESTAMP WITH TIME ZONE columns are published as UTC wall-clock DATETIMEs
            self.con.execute("SET TimeZone = 'UTC'")
        except duckdb.Error:  # pragma: no cover - ICU is built into the wheels we pin
            log.debug("DuckDB has no ICU time zones; TIMESTAMPTZ columns keep the session zone")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ schema

    def has_table(self, spec: TableSpec) -> bool:
        return bool(
            self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [spec.schema, spec.name],
            ).fetchone()[0]
        )

    def resolve(self, spec: TableSpec) -> TableSpec:
        """The spec with the columns the warehouse gained; an error names a missing table/column."""
        rows = self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [spec.schema, spec.name],
        ).fetchall()
        if not rows:
            raise PublishError(f"warehouse {self.path} has no table or view {spec.source}")
        present = {name: dtype for name, dtype in rows}
        missing = [c for c in spec.column_names if c not in present]
        if missing:
            raise PublishError(
                f"warehouse table {spec.source} in {self.path} lacks column(s) {', '.join(missing)} "
                "that the dashboards read"
            )
        extra = tuple(
            column_for(spec.source, name, dtype) for name, dtype in rows if name not in spec.column_names
        )
        if extra:
            log.info("%s: the warehouse gained column(s) %s", spec.source, ", ".join(c.name for c in extra))
        return spec.with_columns(extra)

    # ------------------------------------------------------------------ reads

    def relation(self, spec: TableSpec, where: str = "", only: Optional[Changes] = None) -> str:
        """The table's rows, filtered by `where` and, with `only`, to its inserted/updated keys."""
        rel = f"{quote_duck(spec.schema)}.{quote_duck(spec.name)}"
        if only is not None:
            on = " AND ".join(f"{duck_value(spec.column(k))} = d.k{i}" for i, k in enumerate(spec.key))
            rel += f" SEMI JOIN {quote_duck(only.table)} AS d ON {on} AND d.change <> 'delete'"
        return rel + (f" WHERE {where}" if where else "")

    def _fetch_memo(self, sql: str) -> list[Any]:
        if sql not in self._memo:
            self._memo[sql] = self.con.execute(sql).fetchall()
        return self._memo[sql]

    def latest_day(self, spec: TableSpec) -> Optional[dt.date]:
        assert spec.day_column
        sql = f"SELECT max({quote_duck(spec.day_column)}) FROM {self.relation(spec)}"
        row = self.con.execute(sql).fetchone()
        return row[0] if row else None

    def fingerprint(self, spec: TableSpec, where: str = "") -> Fingerprint:
        ((count, total),) = self._fetch_memo(
            f"SELECT count(*), coalesce(sum({duck_row_hash(spec.columns)}), 0) "
            f"FROM {self.relation(spec, where)}"
        )
        return int(count), int(total)

    def day_fingerprints(
        self, spec: TableSpec, where: str, columns: Optional[Sequence[Column]] = None
    ) -> dict[dt.date, Fingerprint]:
        """(rows, checksum) per day of a day-windowed table."""
        assert spec.day_column
        day = quote_duck(spec.day_column)
        rows = self._fetch_memo(
            f"SELECT CAST({day} AS DATE), count(*), sum({duck_row_hash(columns or spec.columns)}) "
            f"FROM {self.relation(spec, where)} GROUP BY 1"
        )
        return {d: (int(n), int(s)) for d, n, s in rows}

    def day_quick_hashes(self, spec: TableSpec, where: str) -> dict[dt.date, Fingerprint]:
        """(rows, sum of DuckDB's own row hash) per day: ~5x cheaper than the MD5 checksum.

        Only for change detection against what the last publish stored (see
        :mod:`publish.window`); it cannot be computed in MySQL and may change with the DuckDB
        version, hence :func:`quick_signature`.
        """
        assert spec.day_column
        day = quote_duck(spec.day_column)
        values = ", ".join(duck_value(c) for c in spec.columns)
        rows = self._fetch_memo(
            f"SELECT CAST({day} AS DATE), count(*), sum(CAST(hash({values}) AS HUGEINT)) "
            f"FROM {self.relation(spec, where)} GROUP BY 1"
        )
        return {d: (int(n), int(s)) for d, n, s in rows}

    def duplicate_keys(self, spec: TableSpec, where: str = "") -> int:
        """Rows beyond the first per grain key (a model bug MySQL's primary key would reject)."""
        keys = ", ".join(duck_value(spec.column(k)) for k in spec.key)
        nulls = " OR ".join(f"{quote_duck(k)} IS NULL" for k in spec.key)
        dup, null = self.con.execute(
            f"SELECT count(*) - count(DISTINCT ({keys})), count(*) FILTER (WHERE {nulls}) "
            f"FROM {self.relation(spec, where)}"
        ).fetchone()
        if null:
            raise PublishError(f"warehouse table {spec.source} has {null} row(s) with a NULL in its key")
        return int(dup)

    def changes(
        self, spec: TableSpec, columns: Sequence[Column], published: pa.Table, where: str = ""
    ) -> Changes:
        """Compare with `published` (MySQL's key columns + row hash ``h``) by key; see :class:`Changes`."""
        name = f"publish_changes__{spec.name}"
        self.con.register("published_rows", published)
        try:
            w_keys = ", ".join(f"{duck_value(spec.column(k))} AS k{i}" for i, k in enumerate(spec.key))
            join = " AND ".join(f"w.k{i} = p.{quote_duck(k)}" for i, k in enumerate(spec.key))
            keys = ", ".join(f"coalesce(w.k{i}, p.{quote_duck(k)}) AS k{i}" for i, k in enumerate(spec.key))
            first = quote_duck(spec.key[0])
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {quote_duck(name)} AS "
                f"WITH w AS (SELECT {w_keys}, {duck_row_hash(columns)} AS h "
                f"FROM {self.relation(spec, where)}) "
                f"SELECT {keys}, CASE WHEN p.{first} IS NULL THEN 'insert' WHEN w.k0 IS NULL THEN 'delete' "
                "ELSE 'update' END AS change "
                f"FROM w FULL OUTER JOIN published_rows p ON {join} "
                f"WHERE p.{first} IS NULL OR w.k0 IS NULL OR w.h <> p.h"
            )
        finally:
            self.con.unregister("published_rows")
        counts = dict(
            self.con.execute(f"SELECT change, count(*) FROM {quote_duck(name)} GROUP BY 1").fetchall()
        )
        return Changes(
            name, len(spec.key), counts.get("insert", 0), counts.get("update", 0), counts.get("delete", 0)
        )

    def deleted_keys(self, changes: Changes) -> list[tuple[Any, ...]]:
        """The keys of the rows only MySQL has (to delete), in key order."""
        keys = ", ".join(f"k{i}" for i in range(changes.width))
        return self.con.execute(
            f"SELECT {keys} FROM {quote_duck(changes.table)} WHERE change = 'delete' ORDER BY {keys}"
        ).fetchall()

    def drop_changes(self, changes: Changes) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {quote_duck(changes.table)}")

    def export_csv(self, spec: TableSpec, path: str, where: str = "", only: Optional[Changes] = None) -> int:
        """Write the rows as a LOAD DATA-ready CSV in primary-key order; returns the row count.

        Text is always quoted, so an unquoted ``NULL`` is SQL NULL and ``"NULL"`` the word;
        booleans become 1/0 and timestamps carry microseconds, as MySQL reads them.
        """
        cols = []
        for c in spec.columns:
            v = duck_value(c)
            if c.kind == "bool":
                v = f"CAST({v} AS INTEGER)"
            elif c.kind == "timestamp":
                v = f"strftime({v}, '%Y-%m-%d %H:%M:%S.%f')"
            cols.append(f"{v} AS {quote_duck(c.name)}")
        text_cols = [quote_duck(c.name) for c in spec.columns if c.kind == "text"]
        force = f", FORCE_QUOTE ({', '.join(text_cols)})" if text_cols else ""
        order = ", ".join(quote_duck(k) for k in spec.key)
        sql = (
            f"COPY (SELECT {', '.join(cols)} FROM {self.relation(spec, where, only)} ORDER BY {order}) "
            f"TO '{_sql_str(path)}' (FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"', ESCAPE '\"', "
            f"NULLSTR 'NULL'{force})"
        )
        return int(self.con.execute(sql).fetchone()[0])

    def rows(
        self, spec: TableSpec, where: str = "", batch: int = 5000, only: Optional[Changes] = None
    ) -> Any:
        """Rows in column order, in batches (the INSERT fallback when LOAD DATA LOCAL is off).

        Streams on the main connection (a DuckDB cursor would not see the temporary table of
        `only`), so the caller runs no other warehouse query until the batches are consumed.
        """
        cols = ", ".join(duck_value(c) for c in spec.columns)
        order = ", ".join(quote_duck(k) for k in spec.key)
        result = self.con.execute(f"SELECT {cols} FROM {self.relation(spec, where, only)} ORDER BY {order}")
        while True:
            chunk = result.fetchmany(batch)
            if not chunk:
                break
            yield chunk


def quick_signature(spec: TableSpec) -> str:
    """Identifies how :meth:`Warehouse.day_quick_hashes` was computed (engine version, columns)."""
    columns = ",".join(f"{c.name}:{c.kind}:{c.duck_type}" for c in spec.columns)
    text = f"duckdb {duckdb.__version__};{columns}"
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def day_filter(spec: TableSpec, start: Optional[dt.date] = None, days: Sequence[dt.date] = ()) -> str:
    """A DuckDB WHERE clause on the day column: from `start` on, or exactly `days`."""
    assert spec.day_column
    col = quote_duck(spec.day_column)
    if days:
        listed = ", ".join(f"DATE '{d.isoformat()}'" for d in sorted(days))
        return f"CAST({col} AS DATE) IN ({listed})"
    if start is not None:
        return f"CAST({col} AS DATE) >= DATE '{start.isoformat()}'"
    return ""
