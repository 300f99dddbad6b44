"""Signals: an interval is ready only when the lake has caught up with it.

SQLMesh would otherwise consider every @daily interval up to "now" ready and mark days that
have no dump yet as processed (with no rows): when that day's dump arrived, `sqlmesh run`
would skip it. `lake_has_snapshot` makes a day ready once the lake holds a `tenants`
partition for that day or a later one, i.e. every day up to T = the latest snapshot date:

* days after T stay missing, so the run after the next ingest computes them;
* a day before T without a dump (a gap day) is ready and yields no rows, as SPEC §4 asks;
  a dump for it that arrives late is restated (pipeline.models reconciles lake and warehouse).

One listing of `<lake_root>/raw/tenants/` per model and run; no file is opened.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

from sqlmesh import signal

from lake import layout


@signal()
def lake_has_snapshot(batch, lake_root: str, context) -> t.Union[bool, list]:
    files = context.engine_adapter.fetchall(
        f"SELECT file FROM glob('{layout.table_glob(lake_root, 'tenants')}')", quote_identifiers=False
    )
    days = [
        dt.date.fromisoformat(m.group(1))
        for (f,) in files
        for m in [re.search(r"snapshot_date=(\d{4}-\d{2}-\d{2})/", f)]
        if m
    ]
    if not days:
        return False
    latest = max(days)
    return [(start, end) for start, end in batch if start.date() <= latest]
