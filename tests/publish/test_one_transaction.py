"""All published tables change in one MySQL transaction: readers, failures, locks, retries.

Each test publishes the hand-written warehouse V1, then V2 (tests/publish/warehouses.py), and
acts from a second connection at a checkpoint of the V2 publish (publish.checkpoints.reached is
replaced in-process): it raises there, kills the publish connection, or reads what a dashboard
would see. The expected contents are V1's and V2's rows as written in the fixture module.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

import pymysql
import pytest

from lake.errors import PublishError, Terminated
from publish import checkpoints, connection
from publish.publisher import lock_name, publish
from tests.publish.conftest import (
    SNAPSHOT_DAYS,
    assert_rolled_back,
    contents,
    read_all,
    read_table,
    staging_tables,
)
from tests.publish.warehouses import TABLES, V1, V2, expected, write_warehouse

OLD = expected(V1, SNAPSHOT_DAYS)
NEW = expected(V2, SNAPSHOT_DAYS)


def _connect(**settings: Any) -> Any:
    con = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with con.cursor() as cur:
        for name, value in settings.items():
            cur.execute(f"SET SESSION {name} = %s", (value,))
    return con


def _read(con: Any, config: Any) -> dict[str, Any]:
    """What `con` sees now, without ending its transaction (unlike conftest.read_all)."""
    return {name: read_table(con, config, name) for name in TABLES}


def _at(monkeypatch: pytest.MonkeyPatch, actions: dict[str, Callable[[], None]]) -> list[str]:
    """Run actions[point] when the publish reaches `point`; returns the points reached, in order."""
    reached: list[str] = []

    def hook(point: str) -> None:
        reached.append(point)
        if point in actions:
            actions[point]()

    monkeypatch.setattr(checkpoints, "reached", hook)
    return reached


def _kill_publisher(root: Any, config: Any) -> None:
    with root.cursor() as cur:
        cur.execute("SELECT IS_USED_LOCK(%s)", (lock_name(config),))
        cur.execute(f"KILL {int(cur.fetchone()[0])}")


@pytest.fixture
def published_v1(pub_config: Any) -> Any:
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    return pub_config


@pytest.mark.parametrize(
    "error, message",
    [
        (PublishError("injected failure after writing history"), "injected failure after writing history"),
        (RuntimeError("a bug after writing history"), "a bug after writing history"),  # re-raised as is
        (Terminated(15), "terminated by signal 15"),  # SIGTERM of the task
    ],
    ids=["publish-error", "bug", "sigterm"],
)
def test_an_error_after_two_tables_were_written_leaves_every_table_as_it_was(
    published_v1, root, monkeypatch, error, message
):
    before = contents(root, published_v1)

    def fail() -> None:
        raise error

    _at(monkeypatch, {"wrote-tenant_status_history": fail})
    with pytest.raises(type(error), match=message):
        publish(published_v1)
    assert_rolled_back(root, published_v1, before, message)
    assert read_all(root, published_v1) == OLD
    monkeypatch.undo()
    publish(published_v1)  # nothing is left half-done: the next run publishes V2 completely
    assert read_all(root, published_v1) == NEW


def test_a_connection_killed_on_every_attempt_rolls_back_and_logs_one_failed_row(
    published_v1, root, monkeypatch
):
    """KILL mid-transaction on each of the 1 + 2 attempts: retries give up, nothing changed."""
    before = contents(root, published_v1)
    points = _at(
        monkeypatch, {"wrote-tenant_room_snapshot_daily": lambda: _kill_publisher(root, published_v1)}
    )
    with pytest.raises(PublishError, match=r"kept failing while publishing all tables in one transaction"):
        publish(published_v1)
    assert points.count("wrote-tenant_room_snapshot_daily") == 3
    assert "committed" not in points
    assert_rolled_back(root, published_v1, before, "kept failing")


def test_a_table_rejecting_rows_rolls_back_the_tables_written_before_it(published_v1, root):
    """The snapshot table is written last; a CHECK constraint makes it refuse V2's new day."""
    silver = published_v1.mysql.databases["silver"]
    with root.cursor() as cur:
        cur.execute(
            f"ALTER TABLE `{silver}`.tenant_room_snapshot_daily "
            "ADD CONSTRAINT no_new_days CHECK (snapshot_date < '2026-02-11')"
        )
    before = contents(root, published_v1)
    with pytest.raises(PublishError, match=r"tenant_room_snapshot_daily.*no_new_days"):
        publish(published_v1)
    assert_rolled_back(root, published_v1, before, "no_new_days")
    assert read_all(root, published_v1) == OLD


def test_a_repeatable_read_reader_sees_every_table_old_until_commit_then_every_table_new(
    published_v1, root, monkeypatch
):
    dashboard = _connect()  # opens its snapshot when the publish transaction has begun
    seen: dict[str, Any] = {}

    def open_snapshot() -> None:
        with dashboard.cursor() as cur:
            cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")

    def look(label: str) -> Callable[[], None]:
        def at_point() -> None:
            seen[label] = _read(dashboard, published_v1)
            fresh = _connect()
            try:
                seen[label + " (new reader)"] = _read(fresh, published_v1)
            finally:
                fresh.close()

        return at_point

    _at(
        monkeypatch,
        {
            "begun": open_snapshot,
            "wrote-tenant_status_history": look("metrics and history written"),
            "written": look("all written"),
            "committed": look("committed"),
        },
    )
    try:
        publish(published_v1)
        assert seen == {
            "metrics and history written": OLD,
            "metrics and history written (new reader)": OLD,
            "all written": OLD,
            "all written (new reader)": OLD,
            "committed": OLD,  # the open REPEATABLE READ transaction keeps its snapshot
            "committed (new reader)": NEW,
        }
        dashboard.commit()
        assert _read(dashboard, published_v1) == NEW
    finally:
        dashboard.close()


def test_a_long_dashboard_transaction_does_not_block_the_publish_nor_the_publish_new_readers(
    published_v1, root, monkeypatch
):
    """No RENAME, no DDL on existing tables: no metadata-lock wait beyond 1 s on either side."""
    monkeypatch.setattr(connection, "LOCK_WAIT_TIMEOUT_SECONDS", 1)  # any lock wait > 1 s fails ...
    cfg = published_v1.replace(mysql=dataclasses.replace(published_v1.mysql, retries=0))  # ... the run
    dashboard = _connect()
    with dashboard.cursor() as cur:  # a long report: its transaction holds every table open
        cur.execute("START TRANSACTION")
        for name in TABLES:
            db, table = name.split(".")
            cur.execute(f"SELECT COUNT(*) FROM `{cfg.mysql.databases[db]}`.`{table}`")
    readers: list[tuple[float, Any]] = []

    def new_reader() -> None:  # while the publish transaction holds all its row locks
        con = _connect(lock_wait_timeout=1, innodb_lock_wait_timeout=1)
        try:
            t0 = time.monotonic()
            rows = _read(con, cfg)
            readers.append((time.monotonic() - t0, rows))
        finally:
            con.close()

    _at(monkeypatch, {"wrote-tenant_status_transitions": new_reader, "written": new_reader})
    try:
        report = publish(cfg)
        assert report.inserted + report.updated + report.deleted > 0
        assert [(seconds < 1, rows) for seconds, rows in readers] == [(True, OLD), (True, OLD)]
        assert _read(dashboard, cfg) == OLD
        dashboard.commit()
        assert _read(dashboard, cfg) == NEW
    finally:
        dashboard.close()


def test_a_lost_commit_answer_is_detected_and_nothing_is_published_twice(published_v1, root, monkeypatch):
    """The COMMIT goes through but the connection drops before its answer: the retry finds this
    run's publish_log rows, so it reports the committed run instead of publishing again."""
    real_commit = pymysql.connections.Connection.commit
    armed = []

    def commit_then_drop(self: Any) -> None:
        real_commit(self)
        if armed:
            armed.clear()
            self.close()
            raise pymysql.err.OperationalError(2013, "Lost connection to server during query (test)")

    monkeypatch.setattr(pymysql.connections.Connection, "commit", commit_then_drop)
    points = _at(monkeypatch, {"written": lambda: armed.append(1)})
    report = publish(published_v1)
    assert points.count("begun") == 1 and "committed" not in points
    assert read_all(root, published_v1) == NEW
    h = report.table("silver.tenant_status_history")  # the counts of the committed attempt
    assert (h.strategy, h.inserted, h.updated, h.deleted, h.total) == ("upsert", 3, 1, 1, 6)
    with root.cursor() as cur:
        cur.execute(
            f"SELECT status, COUNT(*) FROM `{published_v1.mysql.log_database}`.publish_log "
            "WHERE run_id = %s GROUP BY status",
            (report.run_id,),
        )
        assert cur.fetchall() == (("ok", 7),)


def test_leftover_staging_tables_of_an_older_version_are_dropped(published_v1, root):
    gold, silver = published_v1.mysql.databases["gold"], published_v1.mysql.databases["silver"]
    with root.cursor() as cur:
        cur.execute(
            f"CREATE TABLE `{gold}`.occupancy_daily_metrics__pub_new LIKE `{gold}`.occupancy_daily_metrics"
        )
        cur.execute(f"CREATE TABLE `{silver}`.tenant_room_snapshot_daily__pub_old (x INT)")
        cur.execute(f"CREATE TABLE `{gold}`.publish_days__tenant_room_snapshot_daily__pub_new (x INT)")
    publish(published_v1)
    assert staging_tables(root, published_v1) == []
    assert read_all(root, published_v1) == NEW
