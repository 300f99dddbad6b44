"""Tables published whole (metrics, history, transitions): diff by primary key, apply the difference.

These tables are rebuilt upstream every day (history versions get rewritten, projections move,
`days_in_status` of every current version grows) and are small (≤ a few hundred thousand rows).

Plan (reads only; shared by the dry run and the publish transaction):

* MySQL's (key, row hash) pairs are pulled in one pass (:func:`publish.published.key_hashes`);
  their count and sum are the table's (rows, checksum) in MySQL;
* that equals the warehouse's -> ``unchanged``;
* the table is empty (just created: strategy ``create``) -> load every row (the bulk path);
* otherwise DuckDB joins the pulled pairs with the warehouse's by key
  (:meth:`publish.warehouse.Warehouse.changes`):
  keys only in the warehouse are inserted, keys whose row hash differs are updated, keys only
  in MySQL (stale projections beyond the horizon, rewritten history versions) are deleted.

Apply (inside the one publish transaction, :mod:`publish.transaction`): ``DELETE`` the vanished
keys, ``REPLACE`` the inserted and updated rows (:mod:`publish.bulkload`), then verify the
table's rows and checksum against the warehouse before anything commits.

``rewrite``: a table whose primary key is not the grain (a legacy table) or that gained a
column has all its rows deleted and loaded again (a gained float column is outside the checksum,
so a diff could not see that it still holds NULL); the row counts are then the key diff over
the columns it had.
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
from publish.tables import Column, TableSpec
from publish.verify import verify
from publish.warehouse import Changes, Fingerprint, Warehouse

log = logging.getLogger(__name__)

#: keys per DELETE statement
KEYS_PER_DELETE = 500


@dataclass
class KeyedPlan:
    spec: TableSpec
    database: str
    live: LiveTable
    #: warehouse (rows, checksum) = what MySQL holds after the publish
    expected: Fingerprint
    #: create | upsert | rewrite | unchanged
    strategy: str
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    added_columns: list[str] = field(default_factory=list)
    note: str = ""
    #: the rows that differ by key (None: load every row)
    changes: Optional[Changes] = None
    days_written: int = 0
    days_removed: int = 0

    @property
    def table(self) -> str:
        return f"{self.database}.{self.spec.name}"


def common_columns(spec: TableSpec, live: LiveTable) -> list[Column]:
    """The columns MySQL already held before this run (the diff's columns)."""
    new = set(live.added) | set(live.absent)
    return [c for c in spec.columns if c.name not in new]


def plan_keyed(conn: Any, wh: Warehouse, spec: TableSpec, database: str, live: LiveTable) -> KeyedPlan:
    """What publishing `spec` changes in MySQL; reads only."""
    expected = wh.fingerprint(spec)
    plan = KeyedPlan(spec, database, live, expected, "upsert", added_columns=list(live.added or live.absent))
    if live.missing:  # a dry run before the table exists
        plan.strategy, plan.added_columns, plan.inserted = "create", [], expected[0]
        return plan
    common = common_columns(spec, live)
    if live.legacy(spec):
        plan.strategy = "rewrite"
        plan.note = f"live primary key ({', '.join(live.primary_key) or 'none'}) replaced by the grain"
    elif plan.added_columns:
        plan.strategy = "rewrite"
    # one pass over the MySQL table: its (key, row hash) pairs, whose count and sum are also its
    # fingerprint (the same sum published.fingerprint computes in MySQL)
    pulled = published.key_hashes(conn, database, spec, common)
    live_rows, live_sum = pulled.num_rows, sum(pulled.column("h").to_pylist())
    if plan.strategy == "upsert" and (live_rows, live_sum) == expected:
        plan.strategy = "unchanged"
    elif live_rows == 0:
        plan.inserted = expected[0]
    else:
        changes = wh.changes(spec, common, pulled)
        plan.inserted, plan.updated, plan.deleted = changes.inserted, changes.updated, changes.deleted
        if plan.strategy == "rewrite":
            wh.drop_changes(changes)
        else:
            plan.changes = changes
    if live.created:  # the name says what happened; the plan above is right whatever the table holds
        plan.strategy, plan.added_columns = "create", []
    return plan


def apply_keyed(cur: Any, wh: Warehouse, loader: BulkLoader, plan: KeyedPlan, now: dt.datetime) -> None:
    """Write the plan inside the open transaction and verify the result; `now` is unused here."""
    if plan.strategy == "unchanged":
        return
    spec, database = plan.spec, plan.database
    if plan.strategy == "rewrite":
        cur.execute(f"DELETE FROM {qname(database, spec.name)}")
    if plan.changes is None:
        loader.load(cur, spec, database)
    else:
        delete_keys(cur, database, spec, wh.deleted_keys(plan.changes))
        loader.load(cur, spec, database, only=plan.changes)
        wh.drop_changes(plan.changes)
    got = published.fingerprint(cur, database, spec.name, spec.columns)
    verify(spec, plan.table, plan.expected, got)


def delete_keys(cur: Any, database: str, spec: TableSpec, keys: list[tuple[Any, ...]]) -> None:
    """DELETE rows by primary key, a few hundred keys per statement (range scans on both engines)."""
    if not keys:
        return
    cols = ", ".join(quote_my(k) for k in spec.key)
    one = "%s" if len(spec.key) == 1 else "(" + ", ".join(["%s"] * len(spec.key)) + ")"
    target = cols if len(spec.key) == 1 else f"({cols})"
    for i in range(0, len(keys), KEYS_PER_DELETE):
        batch = keys[i : i + KEYS_PER_DELETE]
        marks = ", ".join([one] * len(batch))
        params = [v for key in batch for v in key]
        cur.execute(f"DELETE FROM {qname(database, spec.name)} WHERE {target} IN ({marks})", params)
