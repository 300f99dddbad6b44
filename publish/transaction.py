"""The publish itself: every published table changes in ONE MySQL (InnoDB) transaction.

:class:`PublishTransaction` is one :meth:`publish.connection.MySQLSession.run` step:

1. ``BEGIN``;
2. per table, in :data:`publish.tables.TARGETS` order: diff the warehouse with MySQL
   (:mod:`publish.keyed`, :mod:`publish.window`), apply the difference (deletes, REPLACEs,
   LOAD DATA of new rows) and verify the table's rows and checksums against the warehouse --
   reads inside the transaction see its own writes;
3. one ``publish_log`` row per table, still in the transaction;
4. ``COMMIT``.

Contract: a reader (InnoDB consistent read) sees every table old until the COMMIT and every
table new after it, never a mix; there is no DDL and no RENAME in it, so it takes no exclusive
metadata lock: a dashboard query holding a table open does not stop it, and it does not stop
new readers. Any error rolls everything back (a dropped connection is rolled back by the
server). Re-running the step is always safe: it starts again from the diff, so a retry after a
killed connection redoes exactly what is still missing. If the connection drops *during*
COMMIT, the retry first looks for this run's ``ok`` rows in ``publish_log``: they exist exactly
when the COMMIT went through, and then the step only reads the report back.

Checkpoints for tests (:mod:`publish.checkpoints`): ``begun``, ``wrote-<table>`` after each
table's writes, ``written`` just before COMMIT, ``committed``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from typing import Any, Callable, Optional, Union

from publish import checkpoints
from publish.bulkload import BulkLoader
from publish.ddl import LiveTable, inspect_table
from publish.keyed import KeyedPlan, apply_keyed, plan_keyed
from publish.publog import read_run, write_log
from publish.report import PublishReport, TableReport
from publish.tables import TableSpec
from publish.warehouse import Warehouse
from publish.window import WindowPlan, apply_window, plan_window

Plan = Union[KeyedPlan, WindowPlan]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def table_report(plan: Plan, seconds: float) -> TableReport:
    rows, checksum = plan.expected
    return TableReport(
        table=plan.table,
        source=plan.spec.source,
        strategy=plan.strategy,
        inserted=plan.inserted,
        updated=plan.updated,
        deleted=plan.deleted,
        total=rows,
        checksum=checksum,
        seconds=seconds,
        added_columns=list(plan.added_columns),
        days_written=plan.days_written,
        days_removed=plan.days_removed,
        note=plan.note,
    )


class Planner:
    """Plans one table (reads only): the part the dry run and the transaction share."""

    def __init__(
        self,
        wh: Warehouse,
        databases: dict[str, str],
        log_database: str,
        window_start: Optional[dt.date],
        full_verify: bool,
    ) -> None:
        self.wh = wh
        self.databases = databases
        self.log_database = log_database
        self.window_start = window_start
        self.full_verify = full_verify

    def database(self, spec: TableSpec) -> str:
        return self.databases[spec.schema]

    def plan(self, conn: Any, spec: TableSpec, live: LiveTable) -> Plan:
        db = self.database(spec)
        if spec.day_column:
            start = self.window_start if spec.windowed else None
            return plan_window(conn, self.wh, spec, db, live, self.log_database, start, self.full_verify)
        return plan_keyed(conn, self.wh, spec, db, live)


class PublishTransaction:
    """`session.run("publishing", PublishTransaction(...))`: fills `report.tables` and commits."""

    def __init__(
        self,
        planner: Planner,
        loader: BulkLoader,
        specs: list[TableSpec],
        live: dict[str, LiveTable],
        report: PublishReport,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.planner = planner
        self.loader = loader
        self.specs = specs
        self.live = live
        self.report = report
        self.clock = clock
        #: a COMMIT was sent: its answer may have been lost with the connection
        self.commit_sent = False
        #: what the step is doing, for error messages (:meth:`doing`)
        self.current = "beginning"

    def doing(self) -> str:
        return f"publishing all tables in one transaction ({self.current})"

    def __call__(self, conn: Any) -> None:
        if self.commit_sent and self._read_back(conn):
            return
        wh = self.planner.wh
        self.current = "beginning"
        conn.begin()
        try:
            checkpoints.reached("begun")
            now = self.clock()
            tables = []
            for spec in self.specs:
                t0 = time.monotonic()
                self.current = f"at {self.planner.database(spec)}.{spec.name}"
                plan = self.planner.plan(conn, spec, self.live[spec.name])
                with conn.cursor() as cur:
                    if isinstance(plan, WindowPlan):
                        apply_window(cur, wh, self.loader, plan, now)
                    else:
                        apply_keyed(cur, wh, self.loader, plan, now)
                tables.append(table_report(plan, time.monotonic() - t0))
                checkpoints.reached(f"wrote-{spec.name}")
            self.report.tables = tables
            self.current = "writing publish_log"
            with conn.cursor() as cur:
                write_log(cur, self.planner.log_database, self.report, now)
            checkpoints.reached("written")
            self.current = "committing"
            self.commit_sent = True
            conn.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                conn.rollback()
            raise
        checkpoints.reached("committed")

    def _read_back(self, conn: Any) -> bool:
        """After a lost COMMIT answer: True (and the report read from publish_log) if it committed."""
        with conn.cursor() as cur:
            rows = read_run(cur, self.planner.log_database, self.report.run_id)
        if not rows:
            return False
        sources = {f"{self.planner.database(s)}.{s.name}": s.source for s in self.specs}
        self.report.tables = [
            TableReport(
                table=f"{r['database']}.{r['table']}",
                source=sources.get(f"{r['database']}.{r['table']}", ""),
                strategy=r["strategy"],
                inserted=int(r["inserted"]),
                updated=int(r["updated"]),
                deleted=int(r["deleted"]),
                total=int(r["total"]),
                checksum=int(r["checksum"] or 0),
                seconds=float(r["seconds"]),
                note=r["note"] or "",
            )
            for r in rows
        ]
        return True


def dry_run(conn: Any, planner: Planner, specs: list[TableSpec]) -> list[TableReport]:
    """The reports of what a publish would change, from one consistent read; writes nothing.

    Missing databases, tables and columns are taken as they would be after the DDL step.
    """
    conn.begin()
    try:
        out = []
        for spec in specs:
            t0 = time.monotonic()
            with conn.cursor() as cur:
                live = inspect_table(cur, planner.database(spec), spec)
            plan = planner.plan(conn, spec, live)
            if isinstance(plan, KeyedPlan) and plan.changes is not None:
                planner.wh.drop_changes(plan.changes)
            out.append(table_report(plan, time.monotonic() - t0))
        return out
    finally:
        with contextlib.suppress(Exception):
            conn.rollback()
