"""SQL literal tokens -> Arrow columns of exactly the lake's types, with errors that name the row.

Conversion runs per *needed* value (a few columns of ~28,000 rows), so plain Python is fine
here; the hot loops still take C-level shortcuts (``map(int, ...)`` over clean integer columns,
one parse per distinct date). Rows are converted in batches, so memory holds Arrow arrays, not
Python tokens, however large the table.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable, Optional

import pyarrow as pa
import pyarrow.compute as pc

from lake.errors import LoadError
from lake.schema import Table
from loaders.values import unescape

#: rows converted to Arrow at a time
BATCH_ROWS = 65536

_DATE = re.compile(rb"'(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)?'")
_INT_RANGE = {pa.int32(): (-(2**31), 2**31 - 1), pa.int64(): (-(2**63), 2**63 - 1)}


class _BadValue(ValueError):
    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index


def _literal_bytes(tok: bytes) -> Optional[bytes]:
    """The value of a string-ish literal as bytes; None for a bare (numeric) token."""
    if tok[:1] == b"'":
        return unescape(tok[1:-1])
    q = tok.find(b"'")
    if q > 0 and tok.endswith(b"'"):
        prefix = tok[:q].strip().lower()
        inner = tok[q + 1 : -1]
        if prefix == b"x":
            return bytes.fromhex(inner.decode("ascii"))
        if prefix == b"b":
            bits = inner.decode("ascii") or "0"
            n = int(bits, 2)
            return n.to_bytes((len(bits) + 7) // 8, "big")
        return unescape(inner)  # _binary, _utf8mb4, N ...
    if tok[:2] in (b"0x", b"0X"):
        return bytes.fromhex(tok[2:].decode("ascii"))
    return None


def to_ints(tokens: list[bytes]) -> list[Optional[int]]:
    try:
        return list(map(int, tokens))  # the common case: bare integers, no NULL
    except ValueError:
        pass
    try:
        return [None if t == b"NULL" else int(t) for t in tokens]  # with NULLs
    except ValueError:
        pass
    out: list[Optional[int]] = []
    for i, tok in enumerate(tokens):
        if tok == b"NULL":
            out.append(None)
            continue
        try:
            if tok[:1] == b"'":  # a number stored in a text column
                out.append(int(unescape(tok[1:-1]).decode("utf-8")))
            elif tok[:1] in (b"b", b"B", b"_") or tok[:2] in (b"0x", b"0X"):  # BIT / binary
                raw = _literal_bytes(tok)
                if raw is None:
                    raise ValueError
                out.append(int.from_bytes(raw, "big"))
            else:
                out.append(int(tok))
        except (ValueError, UnicodeDecodeError):
            raise _BadValue(i, "not an integer") from None
    return out


def to_bit_ints(tokens: list[bytes]) -> list[Optional[int]]:
    """A BIT(n) column: MariaDB writes its value as raw bytes in quotes, MySQL as b'..'/_binary."""
    out: list[Optional[int]] = []
    for i, tok in enumerate(tokens):
        if tok == b"NULL":
            out.append(None)
            continue
        try:
            raw = unescape(tok[1:-1]) if tok[:1] == b"'" else _literal_bytes(tok)
            out.append(int(tok) if raw is None else int.from_bytes(raw, "big"))
        except ValueError:
            raise _BadValue(i, "not a BIT value") from None
    return out


def to_strings(tokens: list[bytes]) -> list[Optional[str]]:
    out: list[Optional[str]] = []
    append = out.append
    for i, tok in enumerate(tokens):
        try:
            if tok[:1] == b"'":
                s = tok[1:-1]
                if b"\\" in s or b"''" in s:
                    s = unescape(s)
                append(s.decode("utf-8"))
            elif tok == b"NULL":
                append(None)
            else:
                raw = _literal_bytes(tok)
                append((tok if raw is None else raw).decode("utf-8"))
        except UnicodeDecodeError:
            raise _BadValue(i, "not valid UTF-8 text") from None
        except ValueError:
            raise _BadValue(i, "not a string literal") from None
    return out


def parse_date(tok: bytes) -> Optional[dt.date]:
    """A DATE/DATETIME literal as a date; NULL, zero dates and '' as None; ValueError otherwise."""
    if tok == b"NULL" or tok == b"''":
        return None
    m = _DATE.fullmatch(tok)
    if m is None:
        raise ValueError("not a date")
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if y == 0 and mo == 0 and d == 0:
        return None  # MySQL's zero date
    return dt.date(y, mo, d)


def to_dates(tokens: list[bytes]) -> list[Optional[dt.date]]:
    parsed: dict[bytes, Optional[dt.date]] = {}
    for tok in set(tokens):  # a few hundred distinct dates among ~28,000 rows
        try:
            parsed[tok] = parse_date(tok)
        except ValueError:
            raise _BadValue(tokens.index(tok), "not a valid date") from None
    return list(map(parsed.__getitem__, tokens))


_CONVERTERS: dict[pa.DataType, Callable[[list[bytes]], list]] = {
    pa.int32(): to_ints,
    pa.int64(): to_ints,
    pa.string(): to_strings,
    pa.date32(): to_dates,
}


def _display(tok: bytes) -> str:
    text = tok.decode("utf-8", "replace")
    return text if len(text) <= 60 else text[:57] + "..."


class TableBuilder:
    """Collects the tokens of one lake table from a dump and builds its Arrow table.

    `present` lists the canonical columns the dump has; a non-required column it lacks becomes
    NULL. Errors name the dump, the dump's table and column, and the row's id.
    """

    def __init__(self, table: Table, dump: str, source_table: str, source_columns: dict[str, str]) -> None:
        self.table = table
        self.dump = dump
        self.source_table = source_table
        self.source_columns = source_columns  # canonical -> name in the dump
        self.rows = 0
        #: canonical columns that are BIT(n) in the dump (set from its CREATE TABLE)
        self.bit_columns: set[str] = set()
        self._pending: dict[str, list[bytes]] = {}
        self._pending_rows = 0
        self._batches: list[pa.RecordBatch] = []

    def where(self, canonical: Optional[str] = None) -> str:
        out = f"{self.dump}: table `{self.source_table}`"
        if canonical is not None:
            out += f" column `{self.source_columns.get(canonical, canonical)}`"
        return out

    def add(self, nrows: int, columns: dict[str, list[bytes]]) -> None:
        if not self._pending:
            self._pending = {name: [] for name in columns}
        for name, tokens in columns.items():
            self._pending[name].extend(tokens)
        self._pending_rows += nrows
        self.rows += nrows
        if self._pending_rows >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending_rows:
            return
        n = self._pending_rows
        key_tokens = self._pending.get(self.table.key)
        arrays = []
        for col in self.table.columns:
            tokens = self._pending.get(col.name)
            if tokens is None:
                arrays.append(pa.nulls(n, col.type))
                continue
            convert = to_bit_ints if col.name in self.bit_columns else _CONVERTERS[col.type]
            try:
                values = convert(tokens)
            except _BadValue as exc:
                row = f" (row id {_display(key_tokens[exc.index])})" if key_tokens else ""
                raise LoadError(
                    f"{self.where(col.name)}: {exc} {_display(tokens[exc.index])!r}{row}"
                ) from None
            arrays.append(self._array(values, col.type, col.name, tokens, key_tokens))
        self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=self.table.arrow_schema))
        self._pending = {name: [] for name in self._pending}
        self._pending_rows = 0

    def _array(
        self,
        values: list,
        typ: pa.DataType,
        name: str,
        tokens: list[bytes],
        key_tokens: Optional[list[bytes]],
    ) -> pa.Array:
        try:
            return pa.array(values, type=typ)
        except (pa.ArrowInvalid, OverflowError):
            lo, hi = _INT_RANGE.get(typ, (None, None))
            for i, v in enumerate(values):
                if isinstance(v, int) and lo is not None and not lo <= v <= hi:
                    row = f" (row id {_display(key_tokens[i])})" if key_tokens else ""
                    raise LoadError(f"{self.where(name)}: integer out of range {v}{row}") from None
            raise

    def finish(self) -> pa.Table:
        """The whole table, after checking its key is present and unique."""
        self._flush()
        table = pa.Table.from_batches(self._batches, schema=self.table.arrow_schema)
        self._batches = []
        key = table.column(self.table.key)
        if key.null_count:
            raise LoadError(f"{self.where(self.table.key)}: {key.null_count} row(s) without an id (NULL)")
        if len(table) and pc.count_distinct(key).as_py() != len(table):
            counts = pc.value_counts(key)
            dup = counts.filter(pc.greater(counts.field("counts"), 1))
            shown = ", ".join(f"{v['values']} ({v['counts']} rows)" for v in dup.to_pylist()[:5])
            more = f" and {len(dup) - 5} more" if len(dup) > 5 else ""
            raise LoadError(f"{self.where(self.table.key)}: duplicate id {shown}{more}")
        return table.combine_chunks()
