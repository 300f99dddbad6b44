"""`publish(config)`: the warehouse's gold/silver tables into MySQL, all in one verified transaction.

Run order (each MySQL step goes through :meth:`MySQLSession.run`, so a transient error re-runs
that step on a fresh connection; every step is safe to re-run):

1. open the warehouse read-only; check every table and column exists and the whole tables'
   grains are unique -- before MySQL is touched, so a broken warehouse writes nothing;
2. take a MySQL named lock (two publishes never interleave; it is re-taken on every new
   connection), then the DDL, which MySQL commits implicitly and so must come before the
   transaction: databases, missing tables, columns the warehouse gained, ``publish_log`` and
   the per-day state table; staging tables of older versions are dropped;
3. ONE transaction diffs, writes and verifies every table and writes the ``publish_log`` rows,
   then commits (:mod:`publish.transaction`): readers see all tables old or all new;
4. only for a legacy table whose primary key was not the grain: after the commit, one
   ``ALTER TABLE`` makes the grain its key (the rows are already the warehouse's).

Any failure after the retries: the transaction is rolled back (every table as it was) and one
``failed`` row is written to ``publish_log`` in its own short transaction, best effort; then
:class:`lake.errors.PublishError` is raised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
import time
import uuid
from typing import Any, Callable, Optional

import duckdb

from lake.config import Config
from lake.errors import PublishError
from publish import checkpoints, ddl
from publish.bulkload import BulkLoader
from publish.connection import MySQLSession, error_text
from publish.ddl import LiveTable
from publish.publog import ensure_log_table, ensure_state_table, state_table, write_failure
from publish.report import PublishReport
from publish.tables import TARGETS, TableSpec
from publish.transaction import Planner, PublishTransaction, dry_run
from publish.verify import check_keys
from publish.warehouse import Warehouse

log = logging.getLogger(__name__)

#: how long a run waits for another publish to the same databases to finish
PUBLISH_LOCK_WAIT_SECONDS = 10


def lock_name(config: Config) -> str:
    """One publish at a time per set of target databases (MySQL lock names are ≤ 64 chars)."""
    m = config.mysql
    key = "|".join([m.databases["gold"], m.databases["silver"], m.log_database])
    return "lakehouse_publish_" + hashlib.md5(key.encode("utf-8")).hexdigest()[:16]


def _acquire_lock(name: str, on_locked: Callable[[], None]) -> Callable[[Any], None]:
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
        on_locked()

    return on_connect


def publish(
    config: Config, dry_run: bool = False, *, full_verify: bool = False, load_method: str = "auto"
) -> PublishReport:
    """Publish (or with `dry_run`, only report what would change); raises PublishError.

    `full_verify` recomputes every published day's checksum in MySQL instead of trusting the
    stored day checksums; `load_method` is "auto" (LOAD DATA LOCAL INFILE, falling back to
    INSERTs), "load_data" or "insert".

    On the spark gateway (``models.gateway: spark``) the tables are first copied out of Spark
    into a DuckDB file for this run (:func:`lake.spark.spark_tables`), which is then published
    the same way.
    """
    if config.models.gateway == "spark":
        from lake.spark import spark_tables

        with spark_tables(config, [spec.source for spec in TARGETS]) as copied:
            return publish(copied, dry_run, full_verify=full_verify, load_method=load_method)
    started = time.monotonic()
    with Warehouse(config) as wh:
        run = _Run(config, wh, dry_run, full_verify, load_method)
        try:
            run.check_warehouse()
            lock = None if dry_run else _acquire_lock(lock_name(config), run.locked)
            run.session = MySQLSession(config, on_connect=lock)
            if dry_run:
                run.dry_run()
            else:
                run.publish()
        except BaseException as exc:  # SIGTERM (lake.errors.Terminated) is logged as failed too
            error = _as_publish_error(exc, wh)
            if not dry_run:
                run.record_failure(str(error if error is not None else exc), time.monotonic() - started)
            if error is None:
                raise
            raise error from None
        finally:
            if run.session is not None:
                run.session.close()
    report = run.report
    report.seconds = time.monotonic() - started
    log.info("%s", report.summary())
    return report


def _as_publish_error(exc: BaseException, wh: Warehouse) -> Optional[PublishError]:
    """The error to report, or None for one to re-raise as it is (a signal, or a bug)."""
    if isinstance(exc, PublishError):
        return exc
    if isinstance(exc, duckdb.Error):
        return PublishError(f"reading warehouse {wh.path}: {' '.join(str(exc).split())}")
    if isinstance(exc, OSError):
        return PublishError(f"publish failed: {exc}")
    return None


class _Run:
    """One publish run's state, so the steps read as a list."""

    def __init__(self, config: Config, wh: Warehouse, dry: bool, full_verify: bool, load_method: str) -> None:
        self.config = config
        self.wh = wh
        self.full_verify = full_verify
        self.load_method = load_method
        self.dbs = config.mysql.databases
        self.log_db = config.mysql.log_database
        self.report = PublishReport(as_of=None, dry_run=dry, run_id=uuid.uuid4().hex)
        self.session: Any = None
        #: the named lock was taken: MySQL is reached and publish_log may record a failure
        self.touched_mysql = False
        #: per table (MySQL name): what the DDL step found and did, over all its attempts
        self.live: dict[str, LiveTable] = {}
        self.specs: list[TableSpec] = []
        self.planner: Any = None

    def locked(self) -> None:
        self.touched_mysql = True

    def _db(self, spec: TableSpec) -> str:
        return self.dbs[spec.schema]

    def check_warehouse(self) -> None:
        """Every table and column exists; the whole tables' grains are unique (snapshot days are
        checked as they are loaded); the as-of date and the snapshot window."""
        self.specs = []
        for spec in TARGETS:
            if spec.optional and not self.wh.has_table(spec):
                log.warning(
                    "%s is not in the warehouse yet (the next models run builds it): not published",
                    spec.source,
                )
                continue
            self.specs.append(self.wh.resolve(spec))
        for spec in self.specs:
            if not spec.day_column:
                check_keys(self.wh, spec)
        window_spec = next(s for s in self.specs if s.windowed)
        as_of = self.wh.latest_day(window_spec)
        days = self.config.publish.snapshot_days
        self.report.as_of = as_of
        self.report.window_start = as_of - dt.timedelta(days=days - 1) if as_of else None
        self.planner = Planner(self.wh, self.dbs, self.log_db, self.report.window_start, self.full_verify)

    def dry_run(self) -> None:
        self.report.tables = self.session.run(
            "planning the publish (dry run)", lambda conn: dry_run(conn, self.planner, self.specs)
        )

    def publish(self) -> None:
        self.session.run("creating databases and tables", self._prepare)
        checkpoints.reached("prepared")
        with tempfile.TemporaryDirectory(prefix="lakehouse-publish-") as tmpdir:
            loader = BulkLoader(self.wh, tmpdir, self.config.publish.batch_rows, self.load_method)
            step = PublishTransaction(self.planner, loader, self.specs, self.live, self.report)
            self.session.run(step.doing, step)
        for t in self.report.tables:
            log.info("%s", t.line())
        for spec in self.specs:
            if self.live[spec.name].legacy(spec):
                self._give_grain_key(spec)

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
                log.warning("dropped staging tables of an older publish version: %s", ", ".join(leftovers))
            for spec in self.specs:
                found = ddl.prepare_table(cur, self._db(spec), spec)
                before = self.live.get(spec.name)
                if before is not None:  # a retry: keep what the first attempt created or added
                    added = before.added + tuple(c for c in found.added if c not in before.added)
                    found = LiveTable(before.created or found.created, found.primary_key, added)
                self.live[spec.name] = found

    def _give_grain_key(self, spec: TableSpec) -> None:
        db = self._db(spec)

        def alter(conn: Any) -> None:
            with conn.cursor() as cur:
                ddl.give_grain_primary_key(cur, db, spec)

        try:
            self.session.run(f"giving {db}.{spec.name} its grain as primary key", alter)
        except PublishError as exc:  # the rows are published; the next run tries again
            log.warning("%s", exc)

    def record_failure(self, message: str, seconds: float) -> None:
        """Best effort, one attempt: roll back (if still open) and write one `failed` row."""
        if not self.touched_mysql or self.session is None:
            return
        conn, fresh = self.session.conn, None
        try:
            try:
                if conn is None:
                    raise ConnectionError("no connection")
                conn.rollback()
            except Exception:
                self.session.drop()
                fresh = MySQLSession(self.config, target=self.session.target, retries=0)
                conn = fresh.connection()
            with conn.cursor() as cur:
                write_failure(cur, self.log_db, self.report.run_id, self.report.as_of, seconds, message)
        except Exception as exc:  # never mask the real error
            log.warning("could not record the failure in publish_log: %s", error_text(exc))
        finally:
            if fresh is not None:
                fresh.close()
