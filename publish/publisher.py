"""`publish(config)`: the warehouse's gold/silver tables into MySQL, atomically and verified.

Run order (each step goes through :meth:`MySQLSession.run`, so a transient error re-runs that
step on a fresh connection; every step is safe to re-run):

1. open the warehouse read-only and check every table and column exists -- before MySQL is
   touched, so a missing table writes nothing;
2. take a MySQL named lock (two publishes never interleave), create missing databases and the
   bookkeeping tables, drop staging tables a killed run left behind;
3. metrics, history, transitions: diff against the live table; changed ones are loaded into
   ``<table>__pub_new`` and verified there (:mod:`publish.swap`);
4. the snapshot table: changed days rewritten in one verified transaction, or a staged rebuild
   when the table is new (:mod:`publish.window`);
5. one ``RENAME TABLE`` swaps every staged table in at once; old copies are dropped;
6. one ``publish_log`` row per table.

A failure before step 5 leaves every reader-visible table as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
import time
import uuid
from typing import Any, Callable

import duckdb

from lake.config import Config
from publish import checkpoints, ddl
from publish.bulkload import BulkLoader
from publish.connection import MySQLSession, error_code, error_text
from publish.ddl import NEW_SUFFIX, OLD_SUFFIX, qname
from lake.errors import PublishError
from publish.publog import ensure_log_table, ensure_state_table, state_table, write_failure, write_log
from publish.report import PublishReport, TableReport
from publish.swap import SwapPlan, plan_swap, stage
from publish.tables import TARGETS, TableSpec
from publish.warehouse import Warehouse
from publish.window import WindowPlan, plan_window, publish_in_transaction, stage_window

log = logging.getLogger(__name__)

Swap = tuple[str, str, bool]

#: how long a run waits for another publish to the same databases to finish
PUBLISH_LOCK_WAIT_SECONDS = 10


def lock_name(config: Config) -> str:
    """One publish at a time per set of target databases (MySQL lock names are ≤ 64 chars)."""
    m = config.mysql
    key = "|".join([m.databases["gold"], m.databases["silver"], m.log_database])
    return "lakehouse_publish_" + hashlib.md5(key.encode("utf-8")).hexdigest()[:16]


def _acquire_lock(name: str) -> Callable[[Any], None]:
    def on_connect(conn: Any) -> None:
        with conn.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, %s)", (name, PUBLISH_LOCK_WAIT_SECONDS))
            if cur.fetchone()[0] != 1:
                cur.execute("SELECT IS_USED_LOCK(%s)", (name,))
                holder = cur.fetchone()[0]
                raise PublishError(
                    f"another publish to the same MySQL databases is running (lock {name} is held by "
                    f"connection {holder}); try again when it has finished"
                )

    return on_connect


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _report(plan: Any, seconds: float, checksum: int, total: int) -> TableReport:
    return TableReport(
        table=f"{plan.database}.{plan.spec.name}",
        source=plan.spec.source,
        strategy=plan.strategy,
        inserted=plan.inserted,
        updated=plan.updated,
        deleted=plan.deleted,
        total=total,
        checksum=checksum,
        seconds=seconds,
        added_columns=list(plan.added_columns),
        note=plan.note,
    )


def publish(
    config: Config, dry_run: bool = False, *, full_verify: bool = False, load_method: str = "auto"
) -> PublishReport:
    """Publish (or with `dry_run`, only report what would change); raises PublishError.

    `full_verify` recomputes every published day's checksum in MySQL instead of trusting the
    stored day checksums; `load_method` is "auto" (LOAD DATA LOCAL INFILE, falling back to
    INSERTs), "load_data" or "insert".
    """
    started = time.monotonic()
    with Warehouse(config) as wh:
        specs = [wh.resolve(s) for s in TARGETS]
        window_spec = next(s for s in specs if s.day_column)
        as_of = wh.latest_day(window_spec)
        window_start = as_of - dt.timedelta(days=config.publish.snapshot_days - 1) if as_of else None
        run_id = uuid.uuid4().hex
        report = PublishReport(as_of=as_of, dry_run=dry_run, run_id=run_id, window_start=window_start)
        on_connect = None if dry_run else _acquire_lock(lock_name(config))
        session = MySQLSession(config, on_connect=on_connect)
        try:
            run = _Run(config, wh, session, report, specs, full_verify, load_method)
            if dry_run:
                run.dry_run()
            else:
                run.publish()
        except (PublishError, duckdb.Error, OSError) as exc:
            if isinstance(exc, PublishError):
                error = exc
            elif isinstance(exc, duckdb.Error):
                error = PublishError(f"reading warehouse {wh.path}: {' '.join(str(exc).split())}")
            else:
                error = PublishError(f"publish failed: {exc}")
            if not dry_run:
                run.record_failure(str(error), time.monotonic() - started)
            raise error from None
        finally:
            session.close()
    report.seconds = time.monotonic() - started
    log.info("%s", report.summary())
    return report


class _Run:
    """One publish run's state, so the steps read as a list."""

    def __init__(
        self,
        config: Config,
        wh: Warehouse,
        session: MySQLSession,
        report: PublishReport,
        specs: list[TableSpec],
        full_verify: bool,
        load_method: str,
    ) -> None:
        self.config = config
        self.wh = wh
        self.session = session
        self.report = report
        self.specs = specs
        self.full_verify = full_verify
        self.load_method = load_method
        self.dbs = config.mysql.databases
        self.log_db = config.mysql.log_database
        self.prepared = False
        self.swaps: list[Swap] = []

    def _db(self, spec: TableSpec) -> str:
        return self.dbs[spec.schema]

    def _window_args(self, spec: TableSpec) -> dict[str, Any]:
        return dict(
            spec=spec,
            database=self._db(spec),
            state_database=self.log_db,
            window_start=self.report.window_start,
            full_verify=self.full_verify,
        )

    # ------------------------------------------------------------------ dry run

    def dry_run(self) -> None:
        for spec in self.specs:
            t0 = time.monotonic()
            if spec.day_column:
                wplan: WindowPlan = self.session.run(
                    f"planning {self._db(spec)}.{spec.name}",
                    lambda conn, spec=spec: plan_window(conn, self.wh, **self._window_args(spec)),
                )
                expected = wplan.expected
                self.report.tables.append(_report(wplan, time.monotonic() - t0, expected[1], expected[0]))
            else:
                splan: SwapPlan = self.session.run(
                    f"planning {self._db(spec)}.{spec.name}",
                    lambda conn, spec=spec: plan_swap(conn, self.wh, spec, self._db(spec), count_rows=True),
                )
                rep = _report(splan, time.monotonic() - t0, splan.expected[1], splan.expected[0])
                self.report.tables.append(rep)

    # ------------------------------------------------------------------ publish

    def publish(self) -> None:
        self.session.run("preparing databases", self._prepare)
        self.prepared = True
        checkpoints.reached("prepared")
        with tempfile.TemporaryDirectory(prefix="lakehouse-publish-") as tmpdir:
            loader = BulkLoader(self.wh, tmpdir, self.config.publish.batch_rows, self.load_method)
            for spec in self.specs:
                if not spec.day_column:
                    self._publish_swapped(spec, loader)
            checkpoints.reached("staged")
            for spec in self.specs:
                if spec.day_column:
                    self._publish_windowed(spec, loader)
            checkpoints.reached("window-committed")
            if self.swaps:
                t0 = time.monotonic()
                self.session.run("swapping in the new tables", self._swap)
                for t in self.report.tables:  # the swap's time, shared by the swapped tables
                    if t.strategy in ("create", "swap", "rebuild"):
                        t.seconds += time.monotonic() - t0
            checkpoints.reached("swapped")
            self.session.run("dropping the replaced tables", self._drop_old)
        now = _utcnow()
        self.session.run("writing publish_log", lambda conn: self._write_log(conn, now))

    def _prepare(self, conn: Any) -> None:
        with conn.cursor() as cur:
            for database in sorted({*self.dbs.values(), self.log_db}):
                ddl.ensure_database(cur, database)
            ensure_log_table(cur, self.log_db)
            for spec in self.specs:
                if spec.day_column:
                    ensure_state_table(cur, self.log_db, state_table(spec))
            leftovers = []
            for database in sorted(set(self.dbs.values())):
                names = [s.name for s in self.specs if self._db(s) == database]
                leftovers += ddl.drop_leftovers(cur, database, names)
            states = [state_table(s) for s in self.specs if s.day_column]
            leftovers += ddl.drop_leftovers(cur, self.log_db, states)
        if leftovers:
            log.warning("dropped staging tables left by an interrupted publish: %s", ", ".join(leftovers))

    def _publish_swapped(self, spec: TableSpec, loader: BulkLoader) -> None:
        db = self._db(spec)
        t0 = time.monotonic()
        plan: SwapPlan = self.session.run(
            f"planning {db}.{spec.name}", lambda conn: plan_swap(conn, self.wh, spec, db)
        )
        if plan.needs_write:
            self.session.run(f"staging {db}.{spec.name}", lambda conn: stage(conn, self.wh, loader, plan))
            self.swaps.append((db, spec.name, plan.live_exists))
        rep = _report(plan, time.monotonic() - t0, plan.expected[1], plan.expected[0])
        self.report.tables.append(rep)
        log.info("%s", rep.line())

    def _publish_windowed(self, spec: TableSpec, loader: BulkLoader) -> None:
        db = self._db(spec)
        t0 = time.monotonic()
        now = _utcnow()
        plan: WindowPlan = self.session.run(
            f"publishing {db}.{spec.name}",
            lambda conn: publish_in_transaction(conn, self.wh, loader, self._window_args(spec), now),
        )
        if plan.strategy in ("create", "rebuild"):
            self.swaps += self.session.run(
                f"staging {db}.{spec.name}", lambda conn: stage_window(conn, self.wh, loader, plan, now)
            )
        expected = plan.expected
        rep = _report(plan, time.monotonic() - t0, expected[1], expected[0])
        rep.days_written = len(plan.changed) if plan.strategy != "unchanged" else 0
        rep.days_removed = len(plan.gone)
        self.report.tables.append(rep)
        log.info("%s", rep.line())

    def _swap(self, conn: Any) -> None:
        with conn.cursor() as cur:
            staged = [ddl.table_columns(cur, db, t + NEW_SUFFIX) is not None for db, t, _ in self.swaps]
            if not any(staged):  # a retry after the RENAME went through but its answer was lost
                return
            if not all(staged):
                missing = [f"{db}.{t}{NEW_SUFFIX}" for (db, t, _), ok in zip(self.swaps, staged) if not ok]
                raise PublishError(f"staging table(s) vanished before the swap: {', '.join(missing)}")
            swaps = [(db, t, ddl.table_columns(cur, db, t) is not None) for db, t, _ in self.swaps]
            cur.execute(ddl.swap_sql(swaps))

    def _drop_old(self, conn: Any) -> None:
        with conn.cursor() as cur:
            for db, table, _ in self.swaps:
                cur.execute(f"DROP TABLE IF EXISTS {qname(db, table + OLD_SUFFIX)}")

    def _write_log(self, conn: Any, now: dt.datetime) -> None:
        with conn.cursor() as cur:
            write_log(cur, self.log_db, self.report, now)

    # ------------------------------------------------------------------ failure

    def record_failure(self, message: str, seconds: float) -> None:
        """Best effort, one attempt: drop this run's staging tables and log the failure."""
        conn = self.session.conn
        if conn is None or not self.prepared:
            return
        try:
            with conn.cursor() as cur:
                staging = [(self._db(s), s.name) for s in self.specs]
                staging += [(self.log_db, state_table(s)) for s in self.specs if s.day_column]
                for db, table in staging:
                    cur.execute(f"DROP TABLE IF EXISTS {qname(db, table + NEW_SUFFIX)}")
                write_failure(cur, self.log_db, self.report.run_id, self.report.as_of, seconds, message)
        except Exception as exc:  # never mask the real error
            log.debug("could not record the failure in publish_log: %s %s", error_code(exc), error_text(exc))
