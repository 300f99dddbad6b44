"""Signals: an interval is ready only when the lake has caught up with it.

SQLMesh would otherwise consider every @daily interval up to "now" ready and mark days that
have no dump yet as processed (with no rows): when that day's dump arrived, `sqlmesh run`
would skip it. `lake_has_snapshot` makes a day ready once the lake has a committed day
(lake/manifest.py) on that date or a later one, i.e. every day up to T = the latest snapshot
date (`lake.manifest.as_of_date`):

* days after T stay missing, so the run after the next ingest computes them;
* a day before T without a dump (a gap day) is ready and yields no rows, as SPEC §4 asks;
  a dump for it that arrives late is restated (the job compares lake and warehouse days).

One listing of the lake's manifest per model and run (entries are cached by etag), none
when the daily job has pinned its own listing for the run (`lake.manifest.pin_lake_days`).
"""

from __future__ import annotations

import typing as t

from sqlmesh import signal

from lake.manifest import as_of_date, lake_days_for_root


@signal()
def lake_has_snapshot(batch, lake_root: str, context) -> t.Union[bool, list]:
    latest = as_of_date(lake_days_for_root(lake_root))
    if latest is None:
        return False
    return [(start, end) for start, end in batch if start.date() <= latest]
