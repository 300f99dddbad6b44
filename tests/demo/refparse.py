"""A small, independent reader of mysqldump text, for the demo tests only.

It shares no code with ``demo/``: it finds ``CREATE TABLE`` and ``INSERT INTO`` statements at
line starts (mysqldump escapes every newline inside a string, so a statement can only begin at
a line start) and tokenises values with one regular expression, undoing MySQL escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

_CREATE = re.compile(rb"^CREATE TABLE `(?P<name>[^`]+)` \(\n(?P<body>.*?)\n\) ENGINE=", re.M | re.S)
_COLUMN = re.compile(rb"^  `(?P<name>[^`]+)` (?P<type>[a-z]+)", re.M)
_INSERT = re.compile(rb"^INSERT INTO `(?P<name>[^`]+)`(?: \((?P<cols>[^)]*)\))? VALUES ?\n?", re.M)
_TOKEN = re.compile(
    rb"(?P<str>'(?:[^'\\]|\\.|'')*')|(?P<null>NULL)|(?P<num>-?[0-9]+(?:\.[0-9]+)?)|(?P<p>[(),;])|(?P<ws>\s+)",
    re.S,
)
_UNESCAPE = {
    b"0": b"\x00",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"Z": b"\x1a",
    b"b": b"\x08",
    b"\\": b"\\",
    b"'": b"'",
    b'"': b'"',
}
_ESC = re.compile(rb"\\(.)|''", re.S)


def unescape(body: bytes) -> str:
    def repl(m: re.Match[bytes]) -> bytes:
        if m.group(0) == b"''":
            return b"'"
        c = m.group(1)
        if c in (b"%", b"_"):
            return b"\\" + c
        return _UNESCAPE.get(c, c)

    return _ESC.sub(repl, body).decode("utf-8")


@dataclass
class DumpTable:
    name: str
    columns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    statements: int = 0

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r)) for r in self.rows]


def _value(m: re.Match[bytes]) -> Any:
    if m.lastgroup == "str":
        return unescape(m.group(0)[1:-1])
    if m.lastgroup == "null":
        return None
    text = m.group(0).decode()
    return Decimal(text) if "." in text else int(text)


def parse_dump(data: bytes, only: Optional[set[str]] = None) -> dict[str, DumpTable]:
    """Tables (columns in CREATE TABLE order, typed base names) and their rows, in file order."""
    tables: dict[str, DumpTable] = {}
    for m in _CREATE.finditer(data):
        name = m.group("name").decode()
        t = tables[name] = DumpTable(name)
        for c in _COLUMN.finditer(m.group("body")):
            t.columns.append(c.group("name").decode())
            t.types.append(c.group("type").decode())
    for m in _INSERT.finditer(data):
        name = m.group("name").decode()
        if only is not None and name not in only:
            continue
        table = tables[name]
        table.statements += 1
        if m.group("cols") is not None:
            cols = [c.strip().strip("`") for c in m.group("cols").decode().split(",")]
            assert cols == table.columns, (cols, table.columns)
        pos = m.end()
        row: list[Any] = []
        depth = 0
        while True:
            tok = _TOKEN.match(data, pos)
            if tok is None:
                raise ValueError(f"cannot parse {name} at byte {pos}: {data[pos : pos + 80]!r}")
            pos = tok.end()
            kind = tok.lastgroup
            if kind == "ws":
                continue
            if kind == "p":
                p = tok.group(0)
                if p == b"(":
                    depth, row = 1, []
                elif p == b")":
                    depth = 0
                    table.rows.append(tuple(row))
                elif p == b";":
                    break
                continue
            assert depth == 1, f"value outside a row in {name} at byte {pos}"
            row.append(_value(tok))
    return tables
