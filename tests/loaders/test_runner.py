"""`loaders.runner.Progress`: a failed day always, other days at most one line per interval."""

from __future__ import annotations

import datetime as dt
import io
import logging

from loaders.runner import FAILED, WRITTEN, DayResult, Progress


def day(i: int, status: str = WRITTEN) -> DayResult:
    d = dt.date(2026, 1, 1) + dt.timedelta(days=i)
    return DayResult(
        d, f"/dumps/{d:%Y%m%d}.sql.gz", status, raw_bytes=400_000, seconds=0.1, message="bad INSERT"
    )


def test_a_short_run_prints_only_its_failed_days():
    out = io.StringIO()
    progress = Progress("ingest", 30, out, every=3600)
    for i in range(30):
        progress.report(day(i, FAILED if i == 7 else WRITTEN))
    assert out.getvalue().splitlines() == [
        "ingest [ 8/30] 2026-01-08 20260108.sql.gz      0.4 MB    0.1 s  FAILED: bad INSERT"
    ]


def test_a_long_run_prints_a_line_each_interval():
    out = io.StringIO()
    progress = Progress("ingest", 3, out, every=0.0)
    for i in range(3):
        progress.report(day(i))
    assert [line.split(" 2026")[0] for line in out.getvalue().splitlines()] == [
        "ingest [1/3]",
        "ingest [2/3]",
        "ingest [3/3]",
    ]


def test_debug_logging_logs_every_day_instead_of_printing(caplog):
    out = io.StringIO()
    progress = Progress("import-legacy", 2, out, every=3600)
    with caplog.at_level(logging.DEBUG, logger="lakehouse.ingest"):
        progress.report(day(0))
        progress.report(day(1))
    assert out.getvalue() == ""
    assert [r.getMessage().split(" 2026")[0] for r in caplog.records] == [
        "import-legacy [1/2]",
        "import-legacy [2/2]",
    ]
