"""Tables published by day (``TableSpec.day_column``): diff by day, rewrite only the days that changed.

`silver.tenant_room_snapshot_daily` keeps the last `publish.snapshot_days` days (≈6M rows,
``windowed``): a daily publish adds one day and drops one, and a corrected dump restates a few
old days. The breakdowns (`gold.occupancy_daily_metrics_by_apartment`, `_by_area`) keep every
day (≈600k rows at 400 days): a day recomputes its lookback days and its projection (≈100 of
the ≈500 days), so a row-by-row diff would hash the whole table in MySQL twice a day for them.

Plan (reads only; shared by the dry run and the publish transaction):

1. find the changed days cheaply: rows per day are counted in MySQL (one scan of the primary
   key); the warehouse computes DuckDB's own (fast) row hash per day and compares it with the
   one stored by the publish that last wrote that day (:mod:`publish.publog`). Only the days
   that differ -- new, restated, or with a row count that moved on either side -- get their
   MD5 checksum computed (warehouse side; MySQL side too when the stored one is not trusted),
   the others keep their verified checksum;
2. days only in the warehouse are new, days only in MySQL (out of the window, or gone upstream)
   vanish, days in both whose checksums differ are rewritten; their rows are diffed by key only
   to report how many rows are inserted/updated/deleted.

Apply (inside the one publish transaction, :mod:`publish.transaction`): ``DELETE`` the
vanished and the changed days (range deletes on the primary key's first column), load the new
and changed days, re-read their checksums from MySQL, check every day against the warehouse,
rewrite the per-day state -- all before the COMMIT. A just-created (or empty) table is the bulk
path: every day is loaded and then hashed in MySQL.

``rewrite``: a table whose primary key is not the grain, or that gained a column, has all its
rows deleted and the whole window loaded again (see :mod:`publish.keyed` for why).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from publish import published
from publish.bulkload import BulkLoader
from publish.checksum import quote_my
from publish.ddl import LiveTable, qname
from publish.keyed import common_columns
from publish.publog import read_state, state_table, write_state
from publish.tables import TableSpec
from publish.verify import check_keys, verify_days
from publish.warehouse import Fingerprint, Warehouse, day_filter, quick_signature

log = logging.getLogger(__name__)


@dataclass
class WindowPlan:
    spec: TableSpec
    database: str
    live: LiveTable
    state_database: str
    window_start: Optional[dt.date]
    #: create | window | rewrite | unchanged
    strategy: str = "window"
    #: warehouse (rows, checksum) per day of the window
    expected_days: dict[dt.date, Fingerprint] = field(default_factory=dict)
    #: published (rows, checksum) per day, over the columns MySQL held before this run
    live_days: dict[dt.date, Fingerprint] = field(default_factory=dict)
    #: days whose content changes (new or different) / days that vanish
    changed: list[dt.date] = field(default_factory=list)
    gone: list[dt.date] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    added_columns: list[str] = field(default_factory=list)
    note: str = ""
    #: warehouse (rows, quick hash) per day, stored with the state for the next run
    quick_days: dict[dt.date, Fingerprint] = field(default_factory=dict)
    quick_signature: str = ""

    @property
    def table(self) -> str:
        return f"{self.database}.{self.spec.name}"

    @property
    def where(self) -> str:
        return day_filter(self.spec, start=self.window_start)

    @property
    def expected(self) -> Fingerprint:
        return (
            sum(n for n, _ in self.expected_days.values()),
            sum(s for _, s in self.expected_days.values()),
        )

    @property
    def whole(self) -> bool:
        """Every row is deleted and every day loaded again."""
        return self.strategy == "rewrite"

    @property
    def days_written(self) -> int:
        if self.strategy == "unchanged":
            return 0
        return len(self.expected_days) if self.whole else len(self.changed)

    @property
    def days_removed(self) -> int:
        return len(self.gone)


def plan_window(
    conn: Any,
    wh: Warehouse,
    spec: TableSpec,
    database: str,
    live: LiveTable,
    state_database: str,
    window_start: Optional[dt.date],
    full_verify: bool = False,
) -> WindowPlan:
    """Which days differ between the warehouse window and MySQL; reads only.

    The MD5 checksum of a warehouse day is computed only when the day is new, its quick hash
    differs from the stored one, or its row count differs on either side; every other day is
    unchanged since the publish that verified it, so its stored checksum stands for both sides.
    """
    plan = WindowPlan(spec, database, live, state_database, window_start)
    where = plan.where
    plan.quick_days = wh.day_quick_hashes(spec, where)
    plan.quick_signature = quick_signature(spec)
    if live.missing:  # a dry run before the table exists
        plan.expected_days = wh.day_fingerprints(spec, where)
        plan.strategy = "create"
        plan.inserted = plan.expected[0]
        plan.changed = sorted(plan.expected_days)
        return plan
    plan.added_columns = [] if live.created else list(live.added or live.absent)
    if live.legacy(spec):
        plan.strategy = "rewrite"
        plan.note = f"live primary key ({', '.join(live.primary_key) or 'none'}) replaced by the grain"
    elif plan.added_columns:
        plan.strategy = "rewrite"
    common = common_columns(spec, live)
    with conn.cursor() as cur:
        counts = published.day_counts(cur, database, spec)
        state = None
        if not full_verify and plan.strategy != "rewrite":
            state = read_state(cur, state_database, spec, spec.columns)
        unknown = []
        for d, n in counts.items():
            stored = state.get(d) if state else None
            if stored is not None and stored.rows == n:
                plan.live_days[d] = (stored.rows, stored.checksum)
            else:
                unknown.append(d)
        if unknown:
            log.info(
                "%s: computing the checksum of %d published day(s) in MySQL%s",
                plan.table, len(unknown), " (full verify)" if full_verify else "",
            )  # fmt: skip
            scan_all = len(unknown) == len(counts)
            plan.live_days.update(
                published.day_fingerprints(cur, database, spec, common, None if scan_all else unknown)
            )
    settled = {}
    if state is not None:
        for d, (n, q) in plan.quick_days.items():
            stored = state.get(d)
            if (
                stored is not None
                and stored.quick_signature == plan.quick_signature
                and (stored.rows, stored.quick_hash) == (n, q)
                and counts.get(d) == n
            ):
                settled[d] = (stored.rows, stored.checksum)
    pending = sorted(set(plan.quick_days) - set(settled))
    plan.expected_days = dict(settled)
    if pending:
        pending_where = where if len(pending) == len(plan.quick_days) else day_filter(spec, days=pending)
        plan.expected_days.update(wh.day_fingerprints(spec, pending_where))
    compare = plan.expected_days
    if len(common) < len(spec.columns):
        compare = wh.day_fingerprints(spec, where, common)
    plan.changed = sorted(d for d in compare if plan.live_days.get(d) != compare[d])
    plan.gone = sorted(d for d in plan.live_days if d not in compare)
    both = [d for d in plan.changed if d in plan.live_days]
    plan.inserted = sum(plan.expected_days[d][0] for d in plan.changed if d not in plan.live_days)
    plan.deleted = sum(plan.live_days[d][0] for d in plan.gone)
    if both:
        pulled = published.key_hashes(conn, database, spec, common, both)
        changes = wh.changes(spec, common, pulled, day_filter(spec, days=both))
        wh.drop_changes(changes)
        plan.inserted += changes.inserted
        plan.updated += changes.updated
        plan.deleted += changes.deleted
    if (
        plan.strategy == "window"
        and not plan.changed
        and not plan.gone
        and state is not None
        and set(state) == set(settled)
    ):
        plan.strategy = "unchanged"
    if live.created:  # every day is new: the bulk path (an empty table, no state to trust)
        plan.strategy = "create"
    return plan


def apply_window(cur: Any, wh: Warehouse, loader: BulkLoader, plan: WindowPlan, now: dt.datetime) -> None:
    """Write the plan inside the open transaction, verify every day, store the per-day state."""
    if plan.strategy == "unchanged":
        return
    spec, database = plan.spec, plan.database
    day = spec.day_column
    assert day
    if plan.whole:
        cur.execute(f"DELETE FROM {qname(database, spec.name)}")
    else:  # the changed and vanished days MySQL holds
        drop = (set(plan.changed) | set(plan.gone)) & set(plan.live_days)
        for batch in published.chunks(sorted(drop)):
            marks = ", ".join(["%s"] * len(batch))
            cur.execute(f"DELETE FROM {qname(database, spec.name)} WHERE {quote_my(day)} IN ({marks})", batch)
    write = sorted(plan.expected_days) if plan.whole else plan.changed
    every_day = set(write) == set(plan.expected_days)
    if write:
        where = plan.where if every_day else day_filter(spec, days=write)
        check_keys(wh, spec, where)
        loader.load(cur, spec, database, where)
    # re-read the written days and the vanished ones (which must be gone); the others are untouched
    reread = set(write) | set(plan.gone)
    kept = {} if plan.whole else {d: fp for d, fp in plan.live_days.items() if d not in reread}
    if every_day and not kept:  # the bulk path: one scan of the table
        final = published.day_fingerprints(cur, database, spec, spec.columns)
    else:
        final = dict(kept)
        final.update(published.day_fingerprints(cur, database, spec, spec.columns, sorted(reread)))
    verify_days(spec, plan.table, plan.expected_days, final)
    write_state(
        cur, plan.state_database, state_table(spec), spec.columns, final,
        plan.quick_days, plan.quick_signature, now,
    )  # fmt: skip
