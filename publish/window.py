"""The day-windowed snapshot table: rewrite only the days that changed, in one transaction.

`silver.tenant_room_snapshot_daily` keeps the last `publish.snapshot_days` days (≈6M rows);
a daily publish adds one day and drops one, and a corrected dump restates a few old days. So:

1. find the changed days cheaply: rows per day are counted in MySQL (one scan of the primary
   key); the warehouse computes DuckDB's own (fast) row hash per day and compares it with the
   one stored by the publish that last wrote that day (:mod:`publish.publog`). Only the days
   that differ -- new, restated, or with a row count that moved on either side -- get their
   MD5 checksum computed (warehouse side; MySQL side too when the stored one is not trusted),
   the others keep their verified checksum;
2. in ONE transaction: delete the changed days and the days that left the window (or vanished
   upstream), load the changed days, re-read their checksums from MySQL, check every day
   against the warehouse, rewrite the state, COMMIT. Readers see the old days until the commit.

When the table does not exist, lacks a column, has another primary key, or more than half of
it changes, it is instead rebuilt into a staging table and swapped in like the others
(:mod:`publish.swap`): cheaper than a transaction over millions of rows, and just as atomic.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from publish import checkpoints, published
from publish.bulkload import BulkLoader
from publish.checksum import quote_my
from publish.ddl import NEW_SUFFIX, create_staging, primary_key, qname, table_columns
from lake.errors import PublishError
from publish.publog import read_state, state_ddl, state_table, write_state
from publish.swap import check_keys
from publish.tables import TableSpec
from publish.warehouse import Fingerprint, Warehouse, day_filter, quick_signature

log = logging.getLogger(__name__)

#: rebuild + swap instead of a transaction when more than this share of the rows changes ...
REBUILD_FRACTION = 0.5
#: ... and at least this many rows are to be written
REBUILD_MIN_ROWS = 200_000


@dataclass
class WindowPlan:
    spec: TableSpec
    database: str
    state_database: str
    window_start: Optional[dt.date]
    #: warehouse (rows, checksum) per day of the window
    expected_days: dict[dt.date, Fingerprint]
    #: create | rebuild | window | unchanged
    strategy: str
    live_exists: bool = False
    like_live: bool = False
    #: published (rows, checksum) per day, over the columns both sides have
    live_days: dict[dt.date, Fingerprint] = field(default_factory=dict)
    #: days to (re)write from the warehouse / days to delete only
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
    def where(self) -> str:
        return day_filter(self.spec, start=self.window_start)

    @property
    def expected(self) -> Fingerprint:
        return (
            sum(n for n, _ in self.expected_days.values()),
            sum(s for _, s in self.expected_days.values()),
        )


def plan_window(
    conn: Any,
    wh: Warehouse,
    spec: TableSpec,
    database: str,
    state_database: str,
    window_start: Optional[dt.date],
    full_verify: bool = False,
) -> WindowPlan:
    """Which days differ between the warehouse window and MySQL; reads only.

    The MD5 checksum of a warehouse day is computed only when the day is new, its quick hash
    differs from the stored one, or its row count differs on either side; every other day is
    unchanged since the publish that verified it, so its stored checksum stands for both sides.
    """
    where = day_filter(spec, start=window_start)
    plan = WindowPlan(spec, database, state_database, window_start, {}, "window")
    plan.quick_days = wh.day_quick_hashes(spec, where)
    plan.quick_signature = quick_signature(spec)
    with conn.cursor() as cur:
        live_cols = table_columns(cur, database, spec.name)
        if live_cols is None:
            plan.expected_days = wh.day_fingerprints(spec, where)
            plan.strategy = "create"
            plan.inserted = plan.expected[0]
            plan.changed = sorted(plan.expected_days)
            return plan
        plan.live_exists = True
        pk = primary_key(cur, database, spec.name)
        plan.like_live = pk == spec.key
        common = [c for c in spec.columns if c.name in live_cols]
        plan.added_columns = [c.name for c in spec.columns if c.name not in live_cols]
        counts = published.day_counts(cur, database, spec)
        state = None
        if not full_verify and not plan.added_columns:
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
                "%s.%s: computing the checksum of %d published day(s) in MySQL%s",
                database, spec.name, len(unknown), " (full verify)" if full_verify else "",
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
    if plan.added_columns:
        compare = wh.day_fingerprints(spec, where, common)
    plan.changed = sorted(d for d in compare if plan.live_days.get(d) != compare[d])
    plan.gone = sorted(d for d in plan.live_days if d not in compare)
    both = [d for d in plan.changed if d in plan.live_days]
    plan.inserted = sum(plan.expected_days[d][0] for d in plan.changed if d not in plan.live_days)
    plan.deleted = sum(plan.live_days[d][0] for d in plan.gone)
    if both:
        pulled = published.key_hashes(conn, database, spec, common, both)
        ins, upd, dele = wh.diff(spec, common, pulled, day_filter(spec, days=both))
        plan.inserted += ins
        plan.updated += upd
        plan.deleted += dele
    to_write = sum(plan.expected_days[d][0] for d in plan.changed)
    if not plan.like_live:
        plan.strategy = "rebuild"
        plan.note = f"live primary key ({', '.join(pk) or 'none'}) replaced by the grain"
    elif plan.added_columns:
        plan.strategy = "rebuild"
    elif to_write >= REBUILD_MIN_ROWS and to_write > REBUILD_FRACTION * plan.expected[0]:
        plan.strategy = "rebuild"
        plan.note = f"{len(plan.changed)} of {len(plan.expected_days)} days changed"
    elif not plan.changed and not plan.gone and state is not None and set(state) == set(settled):
        plan.strategy = "unchanged"
    return plan


def publish_in_transaction(
    conn: Any, wh: Warehouse, loader: BulkLoader, plan_args: dict[str, Any], now: dt.datetime
) -> WindowPlan:
    """Plan and, for the window strategy, apply in one transaction; safe to re-run.

    For create/rebuild it only plans (the caller stages and swaps).
    """
    conn.begin()
    try:
        plan = plan_window(conn, wh, **plan_args)
        if plan.strategy != "window":
            conn.rollback()
            return plan
        spec, database = plan.spec, plan.database
        rewrite = sorted(set(plan.changed) | set(plan.gone))
        with conn.cursor() as cur:
            day = spec.day_column
            assert day
            for i in range(0, len(rewrite), published.DAYS_PER_STATEMENT):
                batch = rewrite[i : i + published.DAYS_PER_STATEMENT]
                marks = ", ".join(["%s"] * len(batch))
                sql = f"DELETE FROM {qname(database, spec.name)} WHERE {quote_my(day)} IN ({marks})"
                cur.execute(sql, batch)
            if plan.changed:
                where = day_filter(spec, days=plan.changed)
                check_keys(wh, spec, where)
                loader.load(cur, spec, database, spec.name, where)
            fresh = published.day_fingerprints(cur, database, spec, spec.columns, plan.changed)
            final = {d: fp for d, fp in plan.live_days.items() if d not in set(rewrite)}
            final.update(fresh)
            verify_days(spec, f"{database}.{spec.name}", plan.expected_days, final)
            write_state(
                cur, plan.state_database, state_table(spec), spec.columns, final,
                plan.quick_days, plan.quick_signature, now,
            )  # fmt: skip
        checkpoints.reached("window-written")
        conn.commit()
        return plan
    except BaseException:
        with contextlib.suppress(Exception):
            conn.rollback()
        raise


def stage_window(
    conn: Any, wh: Warehouse, loader: BulkLoader, plan: WindowPlan, now: dt.datetime
) -> list[tuple[str, str, bool]]:
    """Build and verify the whole window (and its state) in staging tables; returns the swaps."""
    spec, database = plan.spec, plan.database
    staging = spec.name + NEW_SUFFIX
    state = state_table(spec)
    check_keys(wh, spec, plan.where)
    with conn.cursor() as cur:
        create_staging(cur, database, spec, plan.like_live)
        loader.load(cur, spec, database, staging, plan.where)
        got = published.day_fingerprints(cur, database, spec, spec.columns, table=staging)
        verify_days(spec, f"{database}.{staging}", plan.expected_days, got)
        cur.execute(f"DROP TABLE IF EXISTS {qname(plan.state_database, state + NEW_SUFFIX)}")
        cur.execute(state_ddl(plan.state_database, state + NEW_SUFFIX))
        write_state(
            cur, plan.state_database, state + NEW_SUFFIX, spec.columns, got,
            plan.quick_days, plan.quick_signature, now,
        )  # fmt: skip
        state_exists = table_columns(cur, plan.state_database, state) is not None
    return [(database, spec.name, plan.live_exists), (plan.state_database, state, state_exists)]


def verify_days(
    spec: TableSpec, where: str, expected: dict[dt.date, Fingerprint], got: dict[dt.date, Fingerprint]
) -> None:
    if expected == got:
        return
    bad = sorted(d for d in set(expected) | set(got) if expected.get(d) != got.get(d))
    shown = ", ".join(
        f"{d}: warehouse {expected.get(d, (0, 0))[0]} rows, MySQL {got.get(d, (0, 0))[0]} rows"
        for d in bad[:3]
    )
    total_w = sum(n for n, _ in expected.values())
    total_m = sum(n for n, _ in got.values())
    raise PublishError(
        f"verification failed for {where}: {len(bad)} day(s) differ from warehouse {spec.source} "
        f"({shown}{', ...' if len(bad) > 3 else ''}; totals {total_w} vs {total_m} rows); "
        "the published table was left unchanged"
    )
