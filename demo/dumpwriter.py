"""Write text in exactly the format of MariaDB 10.11's ``mysqldump`` (client "10.19").

The demo dumps must be indistinguishable from the real thing, because the ingest is judged on
real dumps: the test suite loads a generated dump into MariaDB, dumps it back with the real
``mysqldump`` and requires the same bytes (apart from the host line and the completion time).
What is copied here, and why each detail matters to a parser:

* the header, starting with MariaDB's ``/*M!999999\\- enable the sandbox mode */`` line (10.11.8+),
  the ``/*!40101 SET ...*/`` session lines and the ``-- Dump completed on`` trailer (its hour is
  ``%2d``: ``2026-01-05  4:12:33`` has two spaces);
* per table: ``DROP TABLE IF EXISTS``, the ``SHOW CREATE TABLE`` text between the
  ``character_set_client`` lines, ``LOCK TABLES``, ``DISABLE KEYS``, the INSERTs, ``ENABLE KEYS``,
  ``UNLOCK TABLES``; an empty table has no INSERT at all;
* extended INSERTs: ``INSERT INTO `t` VALUES`` then one row per line (``,\\n`` between rows,
  MariaDB 10.11 style), a new statement whenever the statement would reach
  ``net_buffer_length`` (default 1046528 bytes; ``init_length = len(insert_pat) + 4`` and every
  row counts ``len(row) + 2``, as in ``dump_table()``);
* values: numbers and DECIMALs bare, NULL bare, everything else single-quoted with
  ``mysql_real_escape_string`` (``\\0 \\n \\r \\\\ \\' \\" \\Z``; a tab or other control byte
  stays raw).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Callable, Optional

#: mysqldump's default --net-buffer-length (MariaDB 10.11)
NET_BUFFER_LENGTH = 1046528

CLIENT_VERSION = "10.19"
SERVER_DISTRIB = "10.11.19-MariaDB, for debian-linux-gnu (x86_64)"
SERVER_VERSION = "10.11.19-MariaDB-0+deb12u1"

_ESCAPE_RE = re.compile("[\x00\n\r\\\\'\"\x1a]")
_ESCAPES = {
    "\x00": "\\0",
    "\n": "\\n",
    "\r": "\\r",
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\x1a": "\\Z",
}


def _escape_match(m: re.Match[str]) -> str:
    return _ESCAPES[m.group()]


def escape(text: str) -> str:
    """``mysql_real_escape_string`` for a utf8mb4 connection (backslash escapes on)."""
    return _ESCAPE_RE.sub(_escape_match, text)


def sql_string(text: str) -> bytes:
    """A quoted, escaped string literal, UTF-8 encoded."""
    return b"'" + escape(text).encode("utf-8") + b"'"


def sql_date(ordinal: Optional[int]) -> bytes:
    """A DATE value from a proleptic ordinal (``date.toordinal()``), or NULL."""
    if ordinal is None:
        return b"NULL"
    return b"'" + dt.date.fromordinal(ordinal).isoformat().encode() + b"'"


def sql_datetime(value: Optional[dt.datetime]) -> bytes:
    if value is None:
        return b"NULL"
    return value.strftime("'%Y-%m-%d %H:%M:%S'").encode()


def sql_int(value: Optional[int]) -> bytes:
    return b"NULL" if value is None else str(value).encode()


def sql_decimal(cents: Optional[int], scale: int = 2) -> bytes:
    """A DECIMAL(p,2) value as the server prints it (``45000.00``), from an integer of cents."""
    if cents is None:
        return b"NULL"
    sign = "-" if cents < 0 else ""
    q, r = divmod(abs(cents), 10**scale)
    return f"{sign}{q}.{r:0{scale}d}".encode()


def backtick(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


# ----------------------------------------------------------------------------- CREATE TABLE


@dataclass(frozen=True)
class TableDef:
    """A table as ``SHOW CREATE TABLE`` prints it on MariaDB 10.11.

    ``columns`` are (name, definition) with the definition in the server's canonical spelling
    (``int(11) NOT NULL AUTO_INCREMENT``, ``text DEFAULT NULL``, ``current_timestamp()``...),
    ``keys`` the lines after the columns (``PRIMARY KEY (`id`)``, ``KEY `ix` (`a`)``).
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    keys: tuple[str, ...]
    charset: str = "utf8mb4"
    collation: str = "utf8mb4_general_ci"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def create_sql(self, auto_increment: Optional[int]) -> str:
        lines = [f"  {backtick(c)} {d}" for c, d in self.columns] + [f"  {k}" for k in self.keys]
        ai = f" AUTO_INCREMENT={auto_increment}" if auto_increment else ""
        return (
            f"CREATE TABLE {backtick(self.name)} (\n"
            + ",\n".join(lines)
            + f"\n) ENGINE=InnoDB{ai} DEFAULT CHARSET={self.charset} COLLATE={self.collation}"
        )


# ----------------------------------------------------------------------------- INSERTs


class InsertFormat:
    """The INSERT statements mysqldump writes for one table, in one of its option sets.

    Rows come in already rendered as ``(v1,v2,...)`` bytes. ``blocks`` groups them the way
    mysqldump does and also returns where each row ends, so an append-only table can be
    rendered once and cut at any row count (see :class:`PrefixBlocks`).
    """

    def __init__(
        self,
        table: str,
        columns: Sequence[str],
        extended_insert: bool = True,
        complete_insert: bool = False,
        net_buffer_length: int = NET_BUFFER_LENGTH,
    ) -> None:
        q = backtick(table)
        if complete_insert:
            pat = f"INSERT INTO {q} ({', '.join(backtick(c) for c in columns)}) VALUES "
        elif extended_insert:
            pat = f"INSERT INTO {q} VALUES\n"
        else:
            pat = f"INSERT INTO {q} VALUES "
        self.pattern = pat.encode("utf-8")
        self.extended = extended_insert
        self.limit = net_buffer_length
        #: what closes a cut block: extended statements end with ";\n", single-row ones already did
        self.terminator = b";\n" if extended_insert else b""

    def blocks(self, rows: Iterable[bytes]) -> Iterator[tuple[bytes, list[int]]]:
        """(block, row_end_offsets): block + terminator is valid SQL, so is block[:end] + terminator."""
        if not self.extended:
            yield from self._single_blocks(rows)
            return
        pat, limit = self.pattern, self.limit
        init_length = len(pat) + 4
        parts: list[bytes] = []
        ends: list[int] = []
        size = 0
        total = 0
        for row in rows:
            row_length = len(row) + 2
            if parts and total + row_length < limit:
                total += row_length
                parts.append(b",\n")
                parts.append(row)
                size += row_length
            else:
                if parts:
                    yield b"".join(parts), ends
                parts = [pat, row]
                ends = []
                size = len(pat) + len(row)
                total = row_length + init_length
            ends.append(size)
        if parts:
            yield b"".join(parts), ends

    def _single_blocks(self, rows: Iterable[bytes]) -> Iterator[tuple[bytes, list[int]]]:
        pat = self.pattern
        parts: list[bytes] = []
        ends: list[int] = []
        size = 0
        for row in rows:
            parts.append(pat)
            parts.append(row)
            parts.append(b";\n")
            size += len(pat) + len(row) + 2
            ends.append(size)
            if size >= self.limit:
                yield b"".join(parts), ends
                parts, ends, size = [], [], 0
        if parts:
            yield b"".join(parts), ends

    def statements(self, rows: Iterable[bytes]) -> Iterator[bytes]:
        """The table's INSERT text in chunks of at most about one statement each."""
        term = self.terminator
        for block, _ in self.blocks(rows):
            yield block + term if term else block


class PrefixBlocks:
    """An append-only table rendered once, from which any prefix of its rows is cut in O(blocks).

    mysqldump's statement boundaries depend only on the rows before them, so the dump of the
    first ``n`` rows is the full blocks that end before ``n`` plus the start of the next block.
    The unrelated ``payments``/``visit_logs`` tables (100+ MB a day) only grow, so a day's
    section is a join of cached bytes instead of a million row renders.
    """

    def __init__(self, fmt: InsertFormat, rows: Iterable[bytes]) -> None:
        self.terminator = fmt.terminator
        self._blocks: list[bytes] = []
        self._ends: list[list[int]] = []
        self._first_row: list[int] = []
        n = 0
        for block, ends in fmt.blocks(rows):
            self._first_row.append(n)
            self._blocks.append(block)
            self._ends.append(ends)
            n += len(ends)
        self.rows = n

    @property
    def nbytes(self) -> int:
        return sum(len(b) for b in self._blocks)

    def prefix(self, n: int) -> Iterator[bytes]:
        """The INSERT text of the first ``n`` rows (``n`` <= the rows rendered)."""
        if n > self.rows:
            raise ValueError(f"{n} rows asked, only {self.rows} rendered")
        term = self.terminator
        for first, block, ends in zip(self._first_row, self._blocks, self._ends):
            if first >= n:
                return
            k = n - first
            if k >= len(ends):
                yield block
            else:
                yield block[: ends[k - 1]]
            if term:
                yield term


# ----------------------------------------------------------------------------- whole dump


@dataclass(frozen=True)
class Section:
    """One table of a dump: its CREATE TABLE and a factory of its INSERT chunks."""

    table: TableDef
    auto_increment: Optional[int]
    inserts: Callable[[], Iterable[bytes]]


def header(host: str, database: str) -> bytes:
    return (
        "/*M!999999\\- enable the sandbox mode */ \n"
        f"-- MariaDB dump {CLIENT_VERSION}  Distrib {SERVER_DISTRIB}\n"
        "--\n"
        f"-- Host: {host}    Database: {database}\n"
        "-- ------------------------------------------------------\n"
        f"-- Server version\t{SERVER_VERSION}\n"
        "\n"
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
        "/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;\n"
        "/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;\n"
        "/*!40101 SET NAMES utf8mb4 */;\n"
        "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n"
        "/*!40103 SET TIME_ZONE='+00:00' */;\n"
        "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n"
        "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n"
        "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n"
        "/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n"
    ).encode()


def table_prologue(table: TableDef, auto_increment: Optional[int]) -> bytes:
    q = backtick(table.name)
    return (
        "\n--\n"
        f"-- Table structure for table {q}\n"
        "--\n\n"
        f"DROP TABLE IF EXISTS {q};\n"
        "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
        "/*!40101 SET character_set_client = utf8mb4 */;\n"
        f"{table.create_sql(auto_increment)};\n"
        "/*!40101 SET character_set_client = @saved_cs_client */;\n"
        "\n--\n"
        f"-- Dumping data for table {q}\n"
        "--\n\n"
        f"LOCK TABLES {q} WRITE;\n"
        f"/*!40000 ALTER TABLE {q} DISABLE KEYS */;\n"
    ).encode()


def table_epilogue(table: TableDef) -> bytes:
    q = backtick(table.name)
    return f"/*!40000 ALTER TABLE {q} ENABLE KEYS */;\nUNLOCK TABLES;\n".encode()


def trailer(completed: dt.datetime) -> bytes:
    stamp = (
        f"{completed.year:04d}-{completed.month:02d}-{completed.day:02d} "
        f"{completed.hour:2d}:{completed.minute:02d}:{completed.second:02d}"
    )
    return (
        "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"
        "\n"
        "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n"
        "/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n"
        "/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;\n"
        "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n"
        "/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;\n"
        "/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;\n"
        "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n"
        "\n"
        f"-- Dump completed on {stamp}\n"
    ).encode()


def render_dump(
    sections: Sequence[Section], completed: dt.datetime, host: str = "localhost", database: str = "pms"
) -> Iterator[bytes]:
    """The whole dump as chunks; tables in name order, as mysqldump lists them."""
    yield header(host, database)
    for section in sorted(sections, key=lambda s: s.table.name):
        yield table_prologue(section.table, section.auto_increment)
        yield from section.inserts()
        yield table_epilogue(section.table)
    yield trailer(completed)
