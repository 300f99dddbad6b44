"""Stream a mysqldump and extract the lake's tables from it (SPEC §2).

The dump is read statement by statement from a bounded stream (see :mod:`loaders.stream`):

* a statement of a table the lake does not need is skipped by searching for its end (``;\\n``)
  in C, never tokenized or even joined into one object;
* ``CREATE TABLE`` of a needed table gives the column order, so an INSERT without a column list
  maps values by the dump's own schema (a column added in the middle shifts nothing); an INSERT
  with a column list (``--complete-insert``) uses that list;
* both MySQL's one-line extended INSERTs and MariaDB's one-row-per-line layout parse, as do
  one-row INSERTs (``--skip-extended-insert``), ``INSERT IGNORE`` and ``REPLACE``.

This works because mysqldump escapes newlines inside strings: a raw ``;\\n`` can only end a
statement. A dump is complete only if its last line is mysqldump's ``-- Dump completed``
trailer and no statement is cut off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

import pyarrow as pa

from lake.config import Config
from lake.errors import LoadError
from lake.schema import TABLES
from lake.storage import storage_for
from loaders.convert import TableBuilder
from loaders.stream import ChunkReader, ChunkStream
from loaders.values import ValuesError, split_values

_NAME = rb"(`(?:[^`]|``)+`|\"(?:[^\"]|\"\")+\"|[A-Za-z0-9_$]+)"
_INSERT_HEAD = (
    rb"(?:INSERT|REPLACE)(?:\s+(?:IGNORE|LOW_PRIORITY|DELAYED|HIGH_PRIORITY))*\s+INTO\s+"
    + _NAME
    + rb"(?:\s*\.\s*"
    + _NAME
    + rb")?"
)
#: the table name only (a column list may be longer than the bytes peeked)
_INSERT_NAME = re.compile(_INSERT_HEAD, re.I)
_INSERT = re.compile(
    _INSERT_HEAD + rb"\s*(\((?:[^()`\"]|`(?:[^`]|``)*`|\"(?:[^\"]|\"\")*\")*\))?\s*VALUES\s*", re.I
)
_CREATE = re.compile(
    rb"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME + rb"(?:\s*\.\s*" + _NAME + rb")?", re.I
)
_COLUMN_NAME = re.compile(_NAME)
_NOT_COLUMNS = {
    b"PRIMARY", b"KEY", b"UNIQUE", b"INDEX", b"CONSTRAINT", b"FULLTEXT", b"SPATIAL", b"FOREIGN",
    b"CHECK", b"PERIOD", b"VECTOR",
}  # fmt: skip
_TRAILER = b"-- Dump completed"
#: bytes enough to read a statement's table name
_HEAD = 1024


def unquote(name: bytes) -> str:
    """`a``b` -> a`b ; "x" -> x ; bare -> bare (as text)."""
    if name[:1] == b"`":
        name = name[1:-1].replace(b"``", b"`")
    elif name[:1] == b'"':
        name = name[1:-1].replace(b'""', b'"')
    return name.decode("utf-8")


@dataclass
class _Wanted:
    """One lake table to extract: the dump's table name and its needed columns."""

    canonical: str
    source: str
    #: canonical column -> column name in the dump
    columns: dict[str, str]
    builder: TableBuilder
    #: canonical columns the dump must have
    required: frozenset[str]
    create_columns: Optional[list[str]] = None
    seen: bool = False
    #: column order (lowercased names) -> (ncols, wanted indices, canonical names)
    plans: dict[tuple[str, ...], tuple[int, list[int], list[str]]] = field(default_factory=dict)


@dataclass
class ParsedDump:
    """What one dump yielded: a table per lake table, and the source's bytes and hash."""

    tables: dict[str, pa.Table]
    raw_bytes: int
    sql_bytes: int
    sha256: str
    gzip: bool


def wanted_tables(config: Config, dump: str) -> dict[str, _Wanted]:
    """Dump table name -> what to extract, from `config.tables` (names are mappable)."""
    out: dict[str, _Wanted] = {}
    for canonical, schema in TABLES.items():
        mapping = config.tables[canonical]
        cols = {c.name: mapping.columns.get(c.name, c.name) for c in schema.columns}
        builder = TableBuilder(schema, dump, mapping.source, cols)
        required = frozenset(c.name for c in schema.columns if c.required)
        out[mapping.source] = _Wanted(canonical, mapping.source, cols, builder, required)
    return out


class DumpParser:
    """Parse one dump from a :class:`ChunkReader` into :class:`TableBuilder` s."""

    def __init__(self, reader: ChunkReader, name: str, wanted: dict[str, _Wanted]) -> None:
        self.reader = reader
        self.name = name
        self.wanted = wanted
        self.completed = False
        self._skip_prefix = b"\x00"  # INSERT prefix of the table skipped last (fast path)

    def run(self) -> None:
        r = self.reader
        while True:
            head = r.peek(_HEAD)
            if not head:
                break
            if head.startswith(self._skip_prefix):
                self._skip_statement(head)
            elif head.startswith((b"INSERT", b"REPLACE", b"insert", b"replace")):
                self._insert(head)
            elif head.startswith((b"CREATE TABLE", b"create table")):
                self._create(head)
            elif head.startswith(b"DELIMITER ") and head.split(None, 2)[1:2] != [b";"]:
                # triggers/routines (`DELIMITER ;;`): their bodies hold statements of their own
                # (even an INSERT INTO tenants); skip to the delimiter reset
                if not r.skip_until(b"\nDELIMITER ;\n"):
                    raise LoadError(f"{self.name}: unterminated DELIMITER block: the dump is truncated")
            else:
                line = r.readline()
                if line.startswith(_TRAILER):
                    self.completed = True
                elif line.strip():
                    self.completed = False
        if not self.completed:
            raise LoadError(
                f"{self.name}: no '-- Dump completed' trailer at the end: the dump is truncated or incomplete"
            )

    def _table_of(self, head: bytes, pattern: re.Pattern) -> str:
        m = pattern.match(head)
        if m is None:
            snippet = head[:80].decode("utf-8", "replace").splitlines()[0]
            raise LoadError(f"{self.name}: cannot read the table name of statement {snippet!r}")
        return unquote(m.group(2) or m.group(1))

    def _skip_statement(self, head: bytes) -> None:
        if not self.reader.skip_until(b";\n"):
            what = head[:60].decode("utf-8", "replace").splitlines()[0]
            raise LoadError(
                f"{self.name}: unterminated statement at the end of the dump ({what}...): "
                "the dump is truncated"
            )

    def _insert(self, head: bytes) -> None:
        table = self._table_of(head, _INSERT_NAME)
        want = self.wanted.get(table)
        if want is None:
            m = _INSERT_NAME.match(head)
            prefix = head[: m.end()] if m else b""
            # a quoted name ends the prefix unambiguously (`x` is not a prefix of `x2`)
            self._skip_prefix = prefix if prefix.endswith((b"`", b'"')) else b"\x00"
            self._skip_statement(head)
            return
        stmt, found = self.reader.read_until(b";\n")
        if not found:
            stmt = stmt.rstrip()
            if not stmt.endswith(b";") or not self.reader.at_end():
                raise LoadError(
                    f"{self.name}: unterminated INSERT INTO `{table}` at the end of the dump: "
                    "the dump is truncated"
                )
        m = _INSERT.match(stmt)
        if m is None:
            raise LoadError(f"{self.name}: INSERT INTO `{table}` without a readable VALUES list")
        if m.group(3):
            order = [unquote(n) for n in _COLUMN_NAME.findall(m.group(3)[1:-1])]
        elif want.create_columns is not None:
            order = want.create_columns
        else:
            raise LoadError(
                f"{self.name}: INSERT INTO `{table}` has no column list and no CREATE TABLE "
                "precedes it: the column order is unknown"
            )
        ncols, indices, names = self._plan(want, order)
        body = stmt[m.end() :].rstrip()
        if body.endswith(b";"):
            body = body[:-1]
        try:
            nrows, tokens = split_values(body, ncols, indices)
        except ValuesError as exc:
            raise LoadError(f"{self.name}: INSERT INTO `{table}`: {exc}") from None
        want.seen = True
        want.builder.add(nrows, dict(zip(names, tokens)))

    def _plan(self, want: _Wanted, order: list[str]) -> tuple[int, list[int], list[str]]:
        key = tuple(c.lower() for c in order)
        plan = want.plans.get(key)
        if plan is None:
            pos = {c: i for i, c in enumerate(key)}
            indices, names = [], []
            for canonical, source in want.columns.items():
                i = pos.get(source.lower())
                if i is None:
                    if canonical in want.required:
                        raise self._missing(want, canonical)
                    continue
                indices.append(i)
                names.append(canonical)
            plan = want.plans[key] = (len(order), indices, names)
        return plan

    def _missing(self, want: _Wanted, canonical: str) -> LoadError:
        source = want.columns[canonical]
        alias = "" if source == canonical else f" (lake column {canonical})"
        return LoadError(f"{self.name}: table `{want.source}` has no column `{source}`{alias}")

    def _create(self, head: bytes) -> None:
        table = self._table_of(head, _CREATE)
        want = self.wanted.get(table)
        if want is None:
            self._skip_statement(head)
            return
        stmt, found = self.reader.read_until(b";\n")
        if not found:
            raise LoadError(
                f"{self.name}: unterminated CREATE TABLE `{table}` at the end of the dump: "
                "the dump is truncated"
            )
        if want.seen:
            raise LoadError(
                f"{self.name}: table `{table}` appears twice in the dump (a dump of several databases?)"
            )
        columns = _create_columns(stmt)
        want.create_columns = [name for name, _typ in columns]
        types = {name.lower(): typ for name, typ in columns}
        # MariaDB dumps BIT columns as raw bytes in quotes ('\x01'), not as numbers
        want.builder.bit_columns = {
            canonical for canonical, source in want.columns.items() if types.get(source.lower()) == "bit"
        }
        want.seen = True
        self._plan(want, want.create_columns)  # a missing column fails before any row is read


def _create_columns(stmt: bytes) -> list[tuple[str, str]]:
    """(name, lowercased type) of each column of a CREATE TABLE, in order (keys skipped).

    The definitions are split at top-level commas (outside parentheses and quotes), so types
    like ``decimal(10,2)`` or ``enum('a','b')`` and one-line statements are handled alike.
    """
    m = _CREATE.match(stmt)
    i = stmt.index(b"(", m.end() if m else 0)
    items, start, depth, quote = [], i + 1, 0, 0
    while i < len(stmt):
        c = stmt[i]
        if quote:
            if c == 92 and quote != 96:  # a backslash escapes inside '...' and "..." only
                i += 1
            elif c == quote:
                quote = 0
        elif c in (39, 34, 96):  # ' " `
            quote = c
        elif c == 40:  # (
            depth += 1
        elif c == 41:  # )
            depth -= 1
            if depth == 0:
                items.append(stmt[start:i])
                break
        elif c == 44 and depth == 1:  # ,
            items.append(stmt[start:i])
            start = i + 1
        i += 1
    cols = []
    for item in items:
        s = item.strip()
        if not s:
            continue
        if s[:1] not in (b"`", b'"') and s.split(None, 1)[0].upper() in _NOT_COLUMNS:
            continue
        name = _COLUMN_NAME.match(s)
        if name:
            type_word = s[name.end() :].split(None, 1)[:1]
            typ = re.split(rb"[^A-Za-z]", type_word[0], maxsplit=1)[0].lower() if type_word else b""
            cols.append((unquote(name.group(1)), typ.decode("ascii")))
    return cols


def read_dump(uri: str, config: Config) -> ParsedDump:
    """Parse the dump at `uri` (local path or s3://) into the lake's tables, fully validated.

    Raises :class:`LoadError` naming the dump on any problem; nothing is written here.
    """
    storage = storage_for(uri, config)
    raw = storage.open_read(uri)
    wanted = wanted_tables(config, uri)
    with ChunkStream(raw, uri) as stream:
        DumpParser(ChunkReader(stream.chunks()), uri, wanted).run()
        sha = stream.sha256
    for want in wanted.values():
        if not want.seen:
            raise LoadError(f"{uri}: the dump has no table `{want.source}`")
    tables = {w.canonical: w.builder.finish() for w in wanted.values()}
    if tables["tenants"].num_rows == 0:
        # SPEC §7: a day without tenants is a broken export, not a day when everyone left
        raise LoadError(f"{uri}: table `{config.tables['tenants'].source}` is empty")
    assert sha is not None
    return ParsedDump(tables, stream.raw_bytes, stream.out_bytes, sha, stream.gzip)
