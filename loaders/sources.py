"""Find the daily inputs (dumps, legacy CSVs) under a folder or s3:// prefix, by key pattern.

`source.key_pattern` (default ``{date:%Y%m%d}.sql.gz``) names a dump relative to
`source.root`; the ``{date:<strftime>}`` field gives the snapshot date. A pattern ending in
``.gz`` also accepts the plain ``.sql`` file, since the reader recognises gzip by its content.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Optional

from lake.config import Config
from lake.errors import LoadError
from lake.s3 import is_s3
from lake.storage import storage_for

_FIELD = re.compile(r"\{date:([^}]*)\}")
_DIRECTIVES = {
    "Y": r"\d{4}",
    "m": r"\d{2}",
    "d": r"\d{2}",
    "y": r"\d{2}",
    "j": r"\d{3}",
    "b": r"[A-Za-z]{3}",
    "B": r"[A-Za-z]+",
    "%": "%",
}

LEGACY_PATTERN = "{date:%Y%m%d}.csv"


@dataclass(frozen=True)
class Source:
    """One input object: its snapshot day, URI, size and etag (changes when replaced)."""

    day: dt.date
    uri: str
    size: int
    etag: str

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]


def pattern_regex(pattern: str, accept_plain: bool = True) -> tuple[re.Pattern, str]:
    """(regex over the relative key with a `date` group, strftime format of that group)."""
    m = _FIELD.search(pattern)
    if m is None:
        raise LoadError(f"key pattern {pattern!r} has no {{date:<strftime>}} field")
    fmt = m.group(1)
    date_rx = ""
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            d = fmt[i + 1]
            if d not in _DIRECTIVES:
                raise LoadError(f"key pattern {pattern!r}: unsupported date directive %{d}")
            date_rx += _DIRECTIVES[d]
            i += 2
        else:
            date_rx += re.escape(ch)
            i += 1
    prefix, suffix = pattern[: m.start()], pattern[m.end() :]
    suffix_rx = re.escape(suffix)
    if accept_plain and suffix.endswith(".gz"):
        suffix_rx = re.escape(suffix[:-3]) + r"(?:\.gz)?"
    return re.compile(re.escape(prefix) + f"(?P<date>{date_rx})" + suffix_rx), fmt


def find_sources(
    root: str,
    pattern: str,
    config: Config,
    start: Optional[dt.date] = None,
    end: Optional[dt.date] = None,
) -> tuple[list[Source], list[tuple[str, str]]]:
    """Inputs under `root` matching `pattern` within [start, end], sorted by day.

    Returns (sources, problems); a problem is (uri, message) for a key whose date is not a
    date, or for a day with two inputs (``x.sql`` and ``x.sql.gz``): that day is left alone.
    """
    if not is_s3(root) and not os.path.isdir(root):
        raise LoadError(f"source folder does not exist: {root}")
    regex, fmt = pattern_regex(pattern)
    by_day: dict[dt.date, list[Source]] = {}
    problems: list[tuple[str, str]] = []
    base = root.rstrip("/") + "/"
    for info in storage_for(root, config).list(root):
        rel = info.uri[len(base) :].replace(os.sep, "/") if info.uri.startswith(base) else info.uri
        m = regex.fullmatch(rel)
        if m is None:
            continue
        try:
            day = dt.datetime.strptime(m.group("date"), fmt).date()
        except ValueError:
            problems.append((info.uri, f"{info.uri}: {m.group('date')!r} in the name is not a valid date"))
            continue
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        by_day.setdefault(day, []).append(Source(day, info.uri, info.size, info.etag))
    sources = []
    for day in sorted(by_day):
        found = by_day[day]
        if len(found) > 1:
            names = ", ".join(sorted(s.uri for s in found))
            problems.append((found[0].uri, f"two inputs for {day}: {names}; remove one"))
            continue
        sources.append(found[0])
    return sources, problems
