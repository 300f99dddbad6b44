"""The content checksum computed identically by DuckDB (warehouse) and MySQL (published copy).

Definition (docs/PUBLISH.md repeats it):

* every value is rendered as text: integers in decimal; DATE as ``YYYY-MM-DD``; booleans as
  ``1``/``0``; DECIMAL with its fixed scale (``0.5000``); DATETIME as
  ``YYYY-MM-DD HH:MM:SS.ffffff``; text as its UTF-8 bytes; NULL as ``\\N``;
* a row's text is its rendered values joined with ``|`` in the table's column order
  (floating point columns are left out: the engines print them differently);
* a row's hash is the first 16 hex digits of the MD5 of that text, read as an unsigned
  64-bit integer;
* a table's (or a day's) checksum is the sum of its row hashes, with its row count next to it.

A sum is order independent, so the two engines need not agree on row order, and it is
additive, so per-day checksums add up to the table's. MD5 exists in both engines
(DuckDB has no CRC32), and both read the hex digits exactly (MySQL via CONV).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from publish.tables import Column

#: NULL marker in the row text (the LOAD DATA convention)
NULL_TEXT = "\\N"
SEPARATOR = "|"


def quote_duck(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_my(name: str) -> str:
    """A backtick-quoted MySQL identifier (names are validated by config; quote them anyway)."""
    return "`" + name.replace("`", "``") + "`"


def checksummed(columns: Sequence[Column]) -> list[Column]:
    """The columns that take part in the row text (all but floating point ones)."""
    return [c for c in columns if c.kind != "float"]


def duck_value(column: Column, alias: str = "") -> str:
    """The warehouse value cast to the published type (used for export and hashing)."""
    ref = (alias + "." if alias else "") + quote_duck(column.name)
    if column.kind == "timestamp":
        # TIMESTAMP WITH TIME ZONE -> UTC wall clock (the warehouse connection runs in UTC)
        return f"CAST({ref} AS TIMESTAMP)"
    return f"CAST({ref} AS {column.duck_type})" if column.duck_type else ref


def _duck_text(column: Column, alias: str) -> str:
    v = duck_value(column, alias)
    if column.kind == "bool":
        return f"CASE WHEN {v} THEN '1' WHEN NOT {v} THEN '0' END"
    if column.kind == "date":
        return f"strftime({v}, '%Y-%m-%d')"
    if column.kind == "timestamp":
        return f"strftime({v}, '%Y-%m-%d %H:%M:%S.%f')"
    return f"CAST({v} AS VARCHAR)"


def _my_text(column: Column, alias: str) -> str:
    ref = (quote_my(alias) + "." if alias else "") + quote_my(column.name)
    if column.kind == "date":
        return f"DATE_FORMAT({ref}, '%Y-%m-%d')"
    if column.kind == "timestamp":
        return f"DATE_FORMAT({ref}, '%Y-%m-%d %H:%i:%s.%f')"
    if column.kind == "text":
        return f"CONVERT({ref} USING utf8mb4)"
    return f"CAST({ref} AS CHAR)"


def duck_row_hash(columns: Sequence[Column], alias: str = "") -> str:
    """DuckDB expression: the row hash as UBIGINT."""
    parts = [f"COALESCE({_duck_text(c, alias)}, '{NULL_TEXT}')" for c in checksummed(columns)]
    text = f"concat_ws('{SEPARATOR}', {', '.join(parts)})"
    return f"CAST('0x' || left(md5({text}), 16) AS UBIGINT)"


def my_row_hash(columns: Sequence[Column], alias: str = "", absent: Collection[str] = ()) -> str:
    """MySQL expression: the row hash as BIGINT UNSIGNED (same value as :func:`duck_row_hash`).

    Columns named in `absent` (not yet added to the MySQL table, seen by a dry run) hash as
    NULL, which is what they hold once added. The NULL marker is written with a doubled
    backslash: the session sql_mode set by :mod:`publish.connection` never has NO_BACKSLASH_ESCAPES.
    """
    marker = NULL_TEXT.replace("\\", "\\\\")
    parts = [
        f"'{marker}'" if c.name in absent else f"COALESCE({_my_text(c, alias)}, '{marker}')"
        for c in checksummed(columns)
    ]
    text = f"CONCAT_WS('{SEPARATOR}', {', '.join(parts)})"
    return f"CAST(CONV(LEFT(MD5({text}), 16), 16, 10) AS UNSIGNED)"
