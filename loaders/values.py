"""Tokenize the VALUES list of a mysqldump INSERT into the few columns the lake needs.

Speed matters (the ``tenants`` section of a dump is ~100 MB) and pure Python cannot afford work
per byte or even per value, so the fast path is built from C-level ``bytes`` and numpy
operations; Python code runs per row and per *needed* value only:

1. ``body.split(b"'")`` separates the text outside strings (even pieces) from string contents
   (odd pieces); pieces cut at an escaped quote (``\\'``) are glued back, which costs Python
   work per escaped quote only;
2. the outside pieces joined with a one-byte marker form a *skeleton* without any string
   content, in which ``),(`` and ``,`` can only be separators;
3. the skeleton is split into rows (each must have exactly ``ncols`` values) and values; the
   needed columns are plain slices ``flat[j::ncols]``, and their string markers are resolved to
   the string contents through ordinals computed by numpy on the skeleton's bytes.

A body the fast path cannot prove safe (binary columns holding every candidate marker byte,
``''`` doubled quotes) goes through :data:`_TOKEN`, one regex that captures whole tokens and leaves the
separators between them, validated the same way.

Tokens come out as raw SQL literals: ``NULL``, ``123``, ``'it\\'s'`` (quotes and escapes kept,
so a string ``'NULL'`` never looks like NULL); :func:`unescape` decodes string contents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import methodcaller

import numpy as np

#: candidate marker bytes for string literals in the skeleton; the first absent from a body wins
_MARKS = tuple(bytes([b]) for b in (1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16))
_ROW_SEPS = frozenset((b"),(", b"),\n("))

#: one SQL literal: an optionally introduced ('_binary', b, X, N) string, or a bare token
_STRING = rb"(?:[A-Za-z_][A-Za-z0-9_]* ?)?'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'"
_TOKEN = re.compile(rb"(" + _STRING + rb"|[^,()'\s]+)", re.S)

_count_commas = methodcaller("count", b",")


class ValuesError(ValueError):
    """A VALUES list that is not well formed (the caller adds the dump and table)."""


def split_values(body: bytes, ncols: int, wanted: Sequence[int]) -> tuple[int, list[list[bytes]]]:
    """Number of rows and, for each column index in `wanted`, its tokens (one per row).

    `body` is the VALUES list of one INSERT: ``(v, v, ...),(v, ...)`` (a newline may follow the
    comma between rows, as MariaDB's mysqldump writes it).
    """
    body = body.strip()
    if not body.startswith(b"(") or not body.endswith(b")"):
        raise ValuesError("VALUES list does not start with '(' and end with ')'")
    for mark in _MARKS:  # raw control bytes occur only in binary columns, and rarely all of them
        if mark not in body:
            return _split_fast(body, ncols, wanted, mark)
    return _split_regex(body, ncols, wanted)


def _split_fast(body: bytes, ncols: int, wanted: Sequence[int], mark: bytes) -> tuple[int, list[list[bytes]]]:
    segs = body.split(b"'")
    if b"\\'" in body:  # a quote after a backslash may be escaped: glue its pieces back
        segs = _join_escaped_quotes(segs, body)
    if len(segs) % 2 == 0:
        raise ValuesError("unterminated string literal")
    outs = segs[0::2]
    if b"" in outs:  # two quotes meet outside a string: a '' escape; let the regex decide
        return _split_regex(body, ncols, wanted)
    strings = segs[1::2]
    skeleton = mark.join(outs)
    if b"\n" in skeleton:
        skeleton = skeleton.replace(b"\n", b"")
    rows = skeleton[1:-1].split(b"),(")
    if set(map(_count_commas, rows)) != {ncols - 1}:
        bad = next(i for i, r in enumerate(rows) if r.count(b",") != ncols - 1)
        raise ValuesError(
            f"row {bad + 1} of the INSERT has {rows[bad].count(b',') + 1} values, expected {ncols}"
        )
    joined = b",".join(rows)
    if b"(" in joined or b")" in joined:
        raise ValuesError("unexpected parenthesis between values")
    flat = joined.split(b",")
    if b"" in flat:
        raise ValuesError("empty value between commas")
    ordinal = _string_ordinals(joined, len(flat), mark[0]) if strings else None
    out: list[list[bytes]] = []
    for j in wanted:
        col = flat[j::ncols]
        if ordinal is not None:
            ords = ordinal[j::ncols]
            if ords.any():  # ordinals are shifted by one: 0 = not a string
                s = strings
                col = [
                    t if c == 0 else b"'" + s[c - 1] + b"'" if t == mark else _string_token(t, s[c - 1], mark)
                    for t, c in zip(col, ords.tolist())
                ]
        out.append(col)
    return len(rows), out


def _join_escaped_quotes(segs: list[bytes], body: bytes) -> list[bytes]:
    """Glue the pieces of ``body.split(b"'")`` back where the quote was escaped (``\\'``).

    A piece that ends with an odd number of backslashes ended at an escaped quote; an even
    number is escaped backslashes before a real delimiter. Python work is per escaped quote only.
    """
    arr = np.frombuffer(body, dtype=np.uint8)
    quotes = np.flatnonzero(arr == 39)
    backslashes = np.flatnonzero(arr[:-1] == 92)
    after_backslash = backslashes[arr[backslashes + 1] == 39] + 1
    # piece i ends right before quote i
    ends = np.searchsorted(quotes, after_backslash).tolist()
    escaped = [i for i in ends if (len(segs[i]) - len(segs[i].rstrip(b"\\"))) % 2]
    if not escaped:
        return segs
    out: list[bytes] = []
    start = 0
    j = 0
    while j < len(escaped):
        k = escaped[j]
        out.extend(segs[start:k])
        merged = segs[k]
        while j < len(escaped) and escaped[j] == k:
            if k + 1 >= len(segs):
                raise ValuesError("unterminated string literal")
            merged += b"'" + segs[k + 1]
            k += 1
            j += 1
        out.append(merged)
        start = k + 1
    out.extend(segs[start:])
    return out


def _string_ordinals(joined: bytes, ntokens: int, mark: int) -> np.ndarray:
    """For every value of the skeleton: 1 + the index of its string literal, or 0 for none.

    Done with numpy on the skeleton's bytes: a marker's value index is the number of commas
    before it, so no Python code runs per value.
    """
    arr = np.frombuffer(joined, dtype=np.uint8)
    marks = np.flatnonzero(arr == mark)
    tok = np.searchsorted(np.flatnonzero(arr == 44), marks)
    if len(tok) > 1 and not (np.diff(tok) > 0).all():
        raise ValuesError("a string literal is glued to another value")
    ordinal = np.zeros(ntokens, dtype=np.int64)
    ordinal[tok] = np.arange(1, len(marks) + 1)
    return ordinal


def _string_token(tok: bytes, content: bytes, mark: bytes) -> bytes:
    if tok == mark:
        return b"'" + content + b"'"
    if not tok.endswith(mark):
        raise ValuesError("a string literal is glued to another value")
    return tok[:-1] + b"'" + content + b"'"  # an introducer: _binary'..', b'..', X'..'


def _split_regex(body: bytes, ncols: int, wanted: Sequence[int]) -> tuple[int, list[list[bytes]]]:
    parts = _TOKEN.split(body)
    n = (len(parts) - 1) // 2
    if n == 0 or n % ncols:
        raise ValuesError(f"the INSERT has {n} values, not a multiple of {ncols} columns")
    nrows = n // ncols
    seps = parts[0::2]
    if seps[0] != b"(" or seps[-1] != b")":
        raise ValuesError("malformed VALUES list")
    bounds = seps[ncols:n:ncols]
    if not set(bounds) <= _ROW_SEPS or seps.count(b",") != nrows * (ncols - 1):
        raise ValuesError(f"malformed VALUES list (rows must have {ncols} values separated by commas)")
    return nrows, [parts[1 + 2 * j :: 2 * ncols] for j in wanted]


# ----------------------------------------------------------------------------- string literals

_UNESCAPE = re.compile(rb"\\(.)|''", re.S)
#: MySQL's escapes; any other \x is x, except \% and \_ which MySQL keeps as typed
_ESCAPES = {
    b"0": b"\x00",
    b"'": b"'",
    b'"': b'"',
    b"b": b"\x08",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"Z": b"\x1a",
    b"\\": b"\\",
    b"%": b"\\%",
    b"_": b"\\_",
}


def _unescape_one(m: re.Match) -> bytes:
    g = m.group(1)
    if g is None:
        return b"'"
    return _ESCAPES.get(g, g)


def unescape(content: bytes) -> bytes:
    """Decode the escapes of a string literal's content (between the quotes)."""
    if b"\\" not in content and b"''" not in content:
        return content
    return _UNESCAPE.sub(_unescape_one, content)
