"""Finding dumps by key pattern: dates from names, the plain .sql variant, folders, S3 errors."""

from __future__ import annotations

import datetime as dt

import pytest

from lake.errors import LoadError
from loaders.sources import find_sources, pattern_regex


@pytest.mark.parametrize(
    "pattern, key, date",
    [
        ("{date:%Y%m%d}.sql.gz", "20240301.sql.gz", "20240301"),
        ("{date:%Y%m%d}.sql.gz", "20240301.sql", "20240301"),
        ("dumps/{date:%Y-%m-%d}/pms.sql", "dumps/2024-03-01/pms.sql", "2024-03-01"),
        ("pms_{date:%Y%m%d}.sql.gz", "pms_20240301.sql.gz", "20240301"),
    ],
)
def test_pattern_matches(pattern, key, date):
    rx, _fmt = pattern_regex(pattern)
    m = rx.fullmatch(key)
    assert m is not None and m.group("date") == date


@pytest.mark.parametrize(
    "pattern, key",
    [
        ("{date:%Y%m%d}.sql.gz", "20240301.sql.gz.tmp"),
        ("{date:%Y%m%d}.sql.gz", "x20240301.sql.gz"),
        ("{date:%Y%m%d}.sql.gz", "sub/20240301.sql.gz"),
        ("{date:%Y%m%d}.sql", "20240301.sql.gz"),
    ],
)
def test_pattern_rejects(pattern, key):
    assert pattern_regex(pattern)[0].fullmatch(key) is None


def test_unsupported_directive_is_named():
    with pytest.raises(LoadError, match="unsupported date directive %H"):
        pattern_regex("{date:%Y%m%d%H}.sql")


def test_sources_sorted_and_bounded(local_config, tmp_path):
    root = tmp_path / "dumps"
    root.mkdir()
    for name in ("20240303.sql.gz", "20240301.sql.gz", "20240302.sql", "readme.md"):
        (root / name).write_bytes(b"x")
    found, problems = find_sources(str(root), "{date:%Y%m%d}.sql.gz", local_config)
    assert [s.day for s in found] == [dt.date(2024, 3, d) for d in (1, 2, 3)] and problems == []
    found, _ = find_sources(str(root), "{date:%Y%m%d}.sql.gz", local_config, start=dt.date(2024, 3, 2))
    assert [s.name for s in found] == ["20240302.sql", "20240303.sql.gz"]
