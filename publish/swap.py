"""Whole-table publish by staging table + RENAME swap (metrics, history, transitions).

These tables are rebuilt upstream every day (history versions get rewritten, projections move,
`days_in_status` of every current version grows), and they are small (≤ a few hundred thousand
rows), so the new content is loaded into ``<table>__pub_new``, verified there (row count and
checksum against the warehouse) while readers still see the old table, and swapped in by the
publisher with one ``RENAME TABLE`` for all staged tables. A killed run leaves the old table
plus a staging table that the next run drops.

A table whose rows and columns already match (row count and checksum computed in MySQL) is
left alone. The rows inserted/updated/deleted are counted after staging by joining the staged
and the live table on the key in MySQL (a dry run pulls the live (key, row hash) pairs instead).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from publish import published
from publish.bulkload import BulkLoader
from publish.checksum import my_row_hash, quote_my
from publish.ddl import NEW_SUFFIX, create_staging, primary_key, qname, table_columns
from lake.errors import PublishError
from publish.tables import Column, TableSpec
from publish.warehouse import Fingerprint, Warehouse

log = logging.getLogger(__name__)


@dataclass
class SwapPlan:
    spec: TableSpec
    database: str
    #: warehouse (rows, checksum) of what will be published
    expected: Fingerprint
    #: create | swap | unchanged
    strategy: str
    live_exists: bool
    #: build the staging table LIKE the live one (its primary key is the grain)
    like_live: bool
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    added_columns: list[str] = field(default_factory=list)
    note: str = ""
    #: rows of the live table, and the columns it shares with the warehouse
    live_rows: int = 0
    common: list[Column] = field(default_factory=list)

    @property
    def needs_write(self) -> bool:
        return self.strategy != "unchanged"


def plan_swap(
    conn: Any, wh: Warehouse, spec: TableSpec, database: str, where: str = "", count_rows: bool = False
) -> SwapPlan:
    """Compare the live table with the warehouse; reads only.

    An unchanged table is recognised from (rows, checksum) alone, computed in MySQL. Row-level
    counts of a changed table are computed after staging, by a join in MySQL
    (:func:`count_changes`); with `count_rows` (the dry run, which stages nothing) they come
    from pulling the live table's (key, row hash) pairs instead.
    """
    expected = wh.fingerprint(spec, where)
    with conn.cursor() as cur:
        live_cols = table_columns(cur, database, spec.name)
        if live_cols is None:
            return SwapPlan(spec, database, expected, "create", False, False, inserted=expected[0])
        pk = primary_key(cur, database, spec.name)
        common = [c for c in spec.columns if c.name in live_cols]
        missing = [c.name for c in spec.columns if c.name not in live_cols]
        live_fp = published.fingerprint(cur, database, spec.name, common)
    plan = SwapPlan(spec, database, expected, "swap", True, pk == spec.key, added_columns=missing)
    plan.live_rows = live_fp[0]
    plan.common = common
    if pk != spec.key:
        plan.note = f"live primary key ({', '.join(pk) or 'none'}) replaced by the grain"
    elif not missing and live_fp == expected:
        plan.strategy = "unchanged"
        return plan
    if count_rows:
        pulled = published.key_hashes(conn, database, spec, common)
        plan.inserted, plan.updated, plan.deleted = wh.diff(spec, common, pulled, where)
    return plan


def stage(conn: Any, wh: Warehouse, loader: BulkLoader, plan: SwapPlan, where: str = "") -> None:
    """Build and verify ``<table>__pub_new``, then count its changes; safe to re-run."""
    spec, database = plan.spec, plan.database
    staging = spec.name + NEW_SUFFIX
    check_keys(wh, spec, where)
    with conn.cursor() as cur:
        create_staging(cur, database, spec, plan.like_live)
        loader.load(cur, spec, database, staging, where)
        got = published.fingerprint(cur, database, staging, spec.columns)
        verify(spec, f"{database}.{staging}", plan.expected, got)
        if plan.live_exists:
            plan.inserted, plan.updated, plan.deleted = count_changes(cur, plan)


def count_changes(cur: Any, plan: SwapPlan) -> tuple[int, int, int]:
    """(inserted, updated, deleted) from the live table to the staged one: one join on the key."""
    spec, database = plan.spec, plan.database
    on = " AND ".join(f"s.{quote_my(k)} = l.{quote_my(k)}" for k in spec.key)
    changed = f"{my_row_hash(plan.common, 's')} <> {my_row_hash(plan.common, 'l')}"
    cur.execute(
        f"SELECT COUNT(*), COALESCE(SUM({changed}), 0) FROM {qname(database, spec.name + NEW_SUFFIX)} s "
        f"JOIN {qname(database, spec.name)} l ON {on}"
    )
    matched, updated = (int(v) for v in cur.fetchone())
    return plan.expected[0] - matched, updated, plan.live_rows - matched


def check_keys(wh: Warehouse, spec: TableSpec, where: str = "") -> None:
    dup = wh.duplicate_keys(spec, where)
    if dup:
        raise PublishError(
            f"warehouse table {spec.source} has {dup} duplicate row(s) on its grain "
            f"({', '.join(spec.key)}); nothing was published for it"
        )


def verify(spec: TableSpec, where: str, expected: Fingerprint, got: Fingerprint) -> None:
    if expected != got:
        raise PublishError(
            f"verification failed for {where}: warehouse {spec.source} has {expected[0]} rows "
            f"(checksum {expected[1]}), MySQL has {got[0]} rows (checksum {got[1]}); "
            "the published table was left unchanged"
        )
