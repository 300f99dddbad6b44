"""Reads of the published (MySQL) copy: checksums, per-day checksums, (key, hash) pairs.

They mirror :mod:`publish.warehouse` on the MySQL side, with the same row hash
(:func:`publish.checksum.my_row_hash`), so the two can be compared number for number. Columns
named in `absent` are not in the MySQL table yet (a dry run before a column is added) and hash
as the NULL they will hold once added. Reads only; inside the publish transaction they see
its own writes (used to verify before COMMIT).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Collection, Sequence
from typing import Any, Optional

import pyarrow as pa
import pyarrow.csv as pacsv
import pymysql

from publish.checksum import my_row_hash, quote_my
from publish.ddl import qname
from publish.tables import Column, TableSpec

Fingerprint = tuple[int, int]

#: days per IN (...) list, to keep statements small
DAYS_PER_STATEMENT = 100


def chunks(items: Sequence[Any], size: int = DAYS_PER_STATEMENT) -> list[list[Any]]:
    items = sorted(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _hash(columns: Sequence[Column], absent: Collection[str] = ()) -> str:
    """The row hash with '%' doubled: every statement here is run with a parameter tuple."""
    return my_row_hash(columns, absent=absent).replace("%", "%%")


def fingerprint(
    cur: Any, database: str, table: str, columns: Sequence[Column], absent: Collection[str] = ()
) -> Fingerprint:
    cur.execute(
        f"SELECT COUNT(*), COALESCE(SUM({_hash(columns, absent)}), 0) FROM {qname(database, table)}", ()
    )
    count, total = cur.fetchone()
    return int(count), int(total)


def day_counts(cur: Any, database: str, spec: TableSpec) -> dict[dt.date, int]:
    assert spec.day_column
    day = quote_my(spec.day_column)
    cur.execute(f"SELECT {day}, COUNT(*) FROM {qname(database, spec.name)} GROUP BY {day}")
    return {d: int(n) for d, n in cur.fetchall()}


def day_fingerprints(
    cur: Any,
    database: str,
    spec: TableSpec,
    columns: Sequence[Column],
    days: Optional[Sequence[dt.date]] = None,
    absent: Collection[str] = (),
) -> dict[dt.date, Fingerprint]:
    """(rows, checksum) per day, for `days` (range scans on the primary key) or all days."""
    assert spec.day_column
    day = quote_my(spec.day_column)
    base = f"SELECT {day}, COUNT(*), SUM({_hash(columns, absent)}) FROM {qname(database, spec.name)}"
    out: dict[dt.date, Fingerprint] = {}
    batches: list[Optional[list[dt.date]]] = [None] if days is None else chunks(days)
    for batch in batches:
        if batch is None:
            cur.execute(f"{base} GROUP BY {day}", ())
        else:
            marks = ", ".join(["%s"] * len(batch))
            cur.execute(f"{base} WHERE {day} IN ({marks}) GROUP BY {day}", batch)
        for d, n, s in cur.fetchall():
            out[d] = (int(n), int(s))
    return out


def key_hashes(
    conn: Any,
    database: str,
    spec: TableSpec,
    columns: Sequence[Column],
    days: Optional[Sequence[dt.date]] = None,
    absent: Collection[str] = (),
) -> pa.Table:
    """The primary key and row hash (column ``h``) of every row, or of the rows of `days`.

    Each row comes as ONE text field, ``key,...,hash`` (text keys hex-encoded, so no value
    can contain the separator), parsed by pyarrow's CSV reader: PyMySQL decodes typed fields
    in Python, ~3x slower (a 130k-row history: 1.1 s typed, 0.5 s as text). Streams with an
    unbuffered cursor so a large pull does not hold all rows twice.
    """
    keys = [spec.column(k) for k in spec.key]
    fields = [quote_my(k.name) if k.kind != "text" else f"HEX({quote_my(k.name)})" for k in keys]
    line = f"CONCAT_WS(',', {', '.join(fields)}, {_hash(columns, absent)})"
    sql = f"SELECT {line} FROM {qname(database, spec.name)}"
    lines: list[str] = []
    batches: list[Optional[list[dt.date]]] = [None] if days is None else chunks(days)
    for batch in batches:
        params: Sequence[Any] = ()
        stmt = sql
        if batch is not None:
            assert spec.day_column
            stmt += f" WHERE {quote_my(spec.day_column)} IN ({', '.join(['%s'] * len(batch))})"
            params = batch
        with conn.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(stmt, params)
            while True:
                rows = cur.fetchmany(20000)
                if not rows:
                    break
                lines.extend(row[0] for row in rows)
    return _parse_key_hashes(keys, lines)


def _parse_key_hashes(keys: Sequence[Column], lines: list[str]) -> pa.Table:
    key_types = {"date": pa.date32(), "text": pa.string()}
    schema = pa.schema(
        [pa.field(k.name, key_types.get(k.kind, pa.int64())) for k in keys] + [pa.field("h", pa.uint64())]
    )
    if not lines:
        return schema.empty_table()
    text = ("\n".join(lines) + "\n").encode("ascii")  # digits, dates, hex: ASCII only
    names = [f.name for f in schema]
    table = pacsv.read_csv(
        io.BytesIO(text),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(quote_char=False),
        convert_options=pacsv.ConvertOptions(column_types={f.name: f.type for f in schema}),
    )
    for i, k in enumerate(keys):
        if k.kind == "text":  # hex -> the UTF-8 text MySQL holds
            decoded = [bytes.fromhex(v).decode("utf-8") for v in table.column(i).to_pylist()]
            table = table.set_column(i, schema.field(i), pa.array(decoded, type=pa.string()))
    return table
