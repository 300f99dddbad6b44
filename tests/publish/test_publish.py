"""Publishing the hand-written warehouses: contents, types, keys, idempotence, removals, log."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from lake.errors import PublishError
from publish.publisher import publish
from tests.publish.conftest import SNAPSHOT_DAYS, read_all, tables_in
from tests.publish.warehouses import V1, V2, expected, write_warehouse

METRICS = "gold.occupancy_daily_metrics"
HISTORY = "silver.tenant_status_history"
TRANSITIONS = "gold.tenant_status_transitions"
SNAPSHOT = "silver.tenant_room_snapshot_daily"


def test_first_publish_creates_every_table_with_its_rows(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    report = publish(pub_config)

    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)
    assert report.as_of == dt.date(2026, 2, 10)
    # 4 warehouse days of snapshots, 3 published: 2026-02-08..10, 3 tenants each
    snap = report.table(SNAPSHOT)
    assert (snap.strategy, snap.inserted, snap.total, snap.days_written) == ("create", 9, 9, 3)
    metrics = report.table(METRICS)
    assert (metrics.strategy, metrics.inserted, metrics.updated, metrics.deleted) == ("create", 6, 0, 0)
    assert report.table(HISTORY).inserted == 4 and report.table(TRANSITIONS).inserted == 4
    gold = pub_config.mysql.databases["gold"]
    assert "publish_log" in tables_in(root, gold)
    assert not [t for t in tables_in(root, gold) if "__pub_" in t]


def test_mysql_types_and_primary_keys(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    gold, silver = pub_config.mysql.databases["gold"], pub_config.mysql.databases["silver"]
    with root.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (%s, %s)",
            (gold, silver),
        )
        cols = {(r[0], r[1]): (r[2].lower(), r[3], r[4]) for r in cur.fetchall()}
        cur.execute(
            "SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) "
            "FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA IN (%s, %s) AND INDEX_NAME='PRIMARY' GROUP BY TABLE_NAME",
            (gold, silver),
        )
        pks = dict(cur.fetchall())
        cur.execute(
            "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA IN (%s, %s)",
            (gold, silver),
        )
        options = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    assert pks == {
        "occupancy_daily_metrics": "snapshot_date",
        "tenant_status_history": "tenant_id,valid_from",
        "tenant_status_transitions": "tenant_id,valid_from",
        "tenant_room_snapshot_daily": "snapshot_date,tenant_id,apartment_id,room_id",
        "occupancy_daily_metrics_by_area": "snapshot_date,area",
        "occupancy_daily_metrics_by_apartment": "snapshot_date,apartment_id",
        "occupancy_projection_accuracy": "as_of_snapshot_date,snapshot_date",
        "publish_log": "id",
        # the per-day state of the tables published by day (publish/window.py)
        "publish_days__tenant_room_snapshot_daily": "day",
        "publish_days__occupancy_daily_metrics_by_area": "day",
        "publish_days__occupancy_daily_metrics_by_apartment": "day",
    }
    assert cols[("occupancy_daily_metrics", "snapshot_date")] == ("date", "NO", "PRI")
    assert cols[("occupancy_daily_metrics", "occupancy_rate")] == ("decimal(5,4)", "YES", "")
    assert cols[("occupancy_daily_metrics", "is_projection")] == ("tinyint(1)", "YES", "")
    assert cols[("occupancy_daily_metrics", "updated_at")] == ("datetime(6)", "YES", "")
    assert cols[("tenant_status_history", "tenant_id")] == ("bigint(20)", "NO", "PRI")
    assert cols[("tenant_status_history", "valid_to")] == ("date", "YES", "")
    assert cols[("tenant_status_transitions", "status_label")] == ("varchar(255)", "YES", "")
    assert cols[("tenant_room_snapshot_daily", "moveout_plans_date")] == ("date", "YES", "")
    assert all(engine == "InnoDB" and coll.startswith("utf8mb4") for engine, coll in options.values())


def test_publishing_twice_changes_nothing(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    again = publish(pub_config)
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)
    assert [t.strategy for t in again.tables] == ["unchanged"] * 7
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)


def test_the_next_day_published_twice_changes_zero_rows_the_second_time(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    first = publish(pub_config)
    second = publish(pub_config)
    assert first.inserted + first.updated + first.deleted > 0
    assert [t.strategy for t in second.tables] == ["unchanged"] * 7
    assert (second.inserted, second.updated, second.deleted) == (0, 0, 0)
    assert [t.total for t in second.tables] == [5, 6, 6, 4, 2, 5, 10]
    assert read_all(root, pub_config) == expected(V2, SNAPSHOT_DAYS)


def test_next_day_replaces_changed_rows_and_removes_vanished_ones(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    report = publish(pub_config)

    got = read_all(root, pub_config)
    assert got == expected(V2, SNAPSHOT_DAYS)
    # the stale projection beyond the new horizon is gone
    assert dt.date(2026, 2, 13) not in {r[0] for r in got[METRICS]}
    # the rewritten history version (102, 2026-02-01) is gone, its replacement is there
    assert (102, dt.date(2026, 2, 1)) not in {r[:2] for r in got[HISTORY]}
    # snapshot day 2026-02-08 left the 3-day window
    assert {r[0] for r in got[SNAPSHOT]} == {dt.date(2026, 2, 9), dt.date(2026, 2, 10), dt.date(2026, 2, 11)}

    m = report.table(METRICS)  # 02-08..02-12 get a new updated_at, 02-13 disappears
    assert (m.strategy, m.inserted, m.updated, m.deleted, m.total) == ("upsert", 0, 5, 1, 5)
    h = report.table(HISTORY)  # 101 ages; 102's (02-01) replaced by (02-02) + (02-09); 104 new
    assert (h.inserted, h.updated, h.deleted, h.total) == (3, 1, 1, 6)
    s = report.table(SNAPSHOT)
    # day 02-09 and 02-10 restated (102: 3 -> 4), 02-11 new (4 rows), 02-08 leaves the window
    assert (s.strategy, s.inserted, s.updated, s.deleted, s.total) == ("window", 4, 2, 3, 10)
    assert (s.days_written, s.days_removed) == (3, 1)


def test_log_records_each_table(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    first = publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    second = publish(pub_config)
    with root.cursor() as cur:
        cur.execute(
            f"SELECT run_id, database_name, table_name, as_of_date, status, rows_inserted, rows_updated, "
            f"rows_deleted, rows_total, checksum, duration_seconds "
            f"FROM `{pub_config.mysql.log_database}`.publish_log "
            "ORDER BY id"
        )
        rows = cur.fetchall()
    assert len(rows) == 14
    assert {r[0] for r in rows[:7]} == {first.run_id} and {r[0] for r in rows[7:]} == {second.run_id}
    snap = [r for r in rows[7:] if r[2] == "tenant_room_snapshot_daily"][0]
    assert snap[1] == pub_config.mysql.databases["silver"]
    assert snap[3:9] == (dt.date(2026, 2, 11), "ok", 4, 2, 3, 10)
    assert snap[9] == str(second.table(SNAPSHOT).checksum) and int(snap[9]) > 0
    assert all(isinstance(r[10], Decimal) for r in rows)


def test_dry_run_writes_nothing_and_predicts_the_real_run(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    dry = publish(pub_config, dry_run=True)
    assert dry.dry_run and [t.strategy for t in dry.tables] == ["create"] * 7
    assert [t.inserted for t in dry.tables] == [6, 4, 4, 3, 2, 3, 9]
    with root.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (%s, %s)",
            tuple(pub_config.mysql.databases.values()),
        )
        assert cur.fetchone()[0] == 0
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    dry = publish(pub_config, dry_run=True)
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)
    real = publish(pub_config)
    counts = [(t.table, t.strategy, t.inserted, t.updated, t.deleted, t.total) for t in dry.tables]
    assert counts == [(t.table, t.strategy, t.inserted, t.updated, t.deleted, t.total) for t in real.tables]
    assert "would insert" in dry.summary() and "dry run" in dry.summary()


def test_warehouse_views_are_read_like_tables(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1, as_views=True)
    publish(pub_config)
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)


def test_restore_after_the_databases_were_dropped(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V2)
    publish(pub_config)
    with root.cursor() as cur:
        for db in pub_config.mysql.databases.values():
            cur.execute(f"DROP DATABASE `{db}`")
    report = publish(pub_config)
    assert read_all(root, pub_config) == expected(V2, SNAPSHOT_DAYS)
    assert [t.strategy for t in report.tables] == ["create"] * 7
    assert publish(pub_config).inserted == 0


def test_restore_of_one_dropped_table_keeps_the_others(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V2)
    publish(pub_config)
    with root.cursor() as cur:
        cur.execute(f"DROP TABLE `{pub_config.mysql.databases['silver']}`.tenant_room_snapshot_daily")
    report = publish(pub_config)
    assert read_all(root, pub_config) == expected(V2, SNAPSHOT_DAYS)
    assert [t.strategy for t in report.tables] == ["unchanged"] * 6 + ["create"]


def test_rows_changed_behind_publishs_back_are_repaired(pub_config, root):
    """A day edited in MySQL by hand changes its row count or checksum; publish rewrites it."""
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    silver = pub_config.mysql.databases["silver"]
    with root.cursor() as cur:
        cur.execute(f"DELETE FROM `{silver}`.tenant_room_snapshot_daily WHERE tenant_id = 103")
    report = publish(pub_config)
    assert report.table(SNAPSHOT).inserted == 3
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)
    # an edit that keeps the row count is only seen by --full-verify (the stored checksums are trusted)
    with root.cursor() as cur:
        cur.execute(
            f"UPDATE `{silver}`.tenant_room_snapshot_daily SET management_status_code = 99 "
            "WHERE tenant_id = 103"
        )
    assert publish(pub_config).table(SNAPSHOT).updated == 0
    report = publish(pub_config, full_verify=True)
    assert report.table(SNAPSHOT).updated == 3
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)


def test_rows_added_or_deleted_by_hand_in_a_whole_table_are_repaired(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    gold = pub_config.mysql.databases["gold"]
    with root.cursor() as cur:
        cur.execute(f"DELETE FROM `{gold}`.occupancy_daily_metrics WHERE snapshot_date = '2026-02-09'")
        cur.execute(
            f"UPDATE `{gold}`.occupancy_daily_metrics SET applications = 7 WHERE snapshot_date = '2026-02-10'"
        )
        cur.execute(f"INSERT INTO `{gold}`.occupancy_daily_metrics (snapshot_date) VALUES ('2030-01-01')")
    m = publish(pub_config).table(METRICS)
    assert (m.strategy, m.inserted, m.updated, m.deleted, m.total) == ("upsert", 1, 1, 1, 6)
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)


def test_emptied_tables_are_refilled_completely(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V2)
    publish(pub_config)
    with root.cursor() as cur:
        for name in V2:
            schema, table = name.split(".")
            cur.execute(f"DELETE FROM `{pub_config.mysql.databases[schema]}`.`{table}`")
    report = publish(pub_config)
    # the breakdowns (4th and 5th) and the room snapshots are published by day
    assert [(t.strategy, t.inserted, t.updated, t.deleted) for t in report.tables] == [
        ("upsert", 5, 0, 0), ("upsert", 6, 0, 0), ("upsert", 6, 0, 0),
        ("window", 4, 0, 0), ("window", 2, 0, 0), ("upsert", 5, 0, 0), ("window", 10, 0, 0),
    ]  # fmt: skip
    assert report.table(SNAPSHOT).days_written == 3
    assert read_all(root, pub_config) == expected(V2, SNAPSHOT_DAYS)


def test_insert_fallback_loads_the_same_rows(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config, load_method="insert")
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)
    write_warehouse(pub_config.warehouse.path, V2)
    publish(pub_config, load_method="insert")
    assert read_all(root, pub_config) == expected(V2, SNAPSHOT_DAYS)


def test_empty_warehouse_tables_publish_empty_tables(pub_config, root):
    write_warehouse(pub_config.warehouse.path, {name: [] for name in V1})
    report = publish(pub_config)
    assert report.as_of is None
    assert read_all(root, pub_config) == {name: set() for name in V1}


def test_snapshot_days_setting_moves_the_window(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V2)
    publish(pub_config)
    wide = pub_config.replace(publish=dataclasses.replace(pub_config.publish, snapshot_days=365))
    report = publish(wide)
    assert read_all(root, wide) == expected(V2, 365)
    assert report.table(SNAPSHOT).inserted == 6  # days 02-07 and 02-08 come back


@pytest.mark.parametrize(
    "broken, message",
    [
        ("missing-file", "warehouse not found"),
        ("missing-table", "has no table or view gold.tenant_status_transitions"),
        ("missing-column", r"lacks column\(s\) occupancy_rate"),
    ],
)
def test_an_incomplete_warehouse_writes_nothing(pub_config, root, broken, message):
    if broken == "missing-table":
        write_warehouse(pub_config.warehouse.path, {k: v for k, v in V1.items() if k != TRANSITIONS})
    elif broken == "missing-column":
        from tests.publish.warehouses import COLUMNS

        cols = dict(COLUMNS)
        idx = [c for c, _ in cols[METRICS]].index("occupancy_rate")
        cols[METRICS] = [c for c in cols[METRICS] if c[0] != "occupancy_rate"]
        data = dict(V1)
        data[METRICS] = [r[:idx] + r[idx + 1 :] for r in V1[METRICS]]
        write_warehouse(pub_config.warehouse.path, data, columns=cols)
    with pytest.raises(PublishError, match=message) as err:
        publish(pub_config)
    if broken == "missing-file":
        assert pub_config.warehouse.path in str(err.value)
    with root.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (%s, %s)",
            tuple(pub_config.mysql.databases.values()),
        )
        assert cur.fetchone()[0] == 0


def test_stored_quick_hashes_from_another_duckdb_only_cost_a_recheck(pub_config, root):
    """Quick hashes are DuckDB's own: after an engine upgrade they no longer match; days are then
    compared by their MD5 checksum, nothing is rewritten, and the stored state is refreshed."""
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    state = f"`{pub_config.mysql.log_database}`.publish_days__tenant_room_snapshot_daily"
    with root.cursor() as cur:
        cur.execute(
            f"UPDATE {state} SET quick_signature = 'from-an-older-duckdb', quick_hash = quick_hash + 1"
        )
    report = publish(pub_config)
    snap = report.table(SNAPSHOT)
    assert (snap.strategy, snap.inserted, snap.updated, snap.deleted, snap.days_written) == (
        "window",
        0,
        0,
        0,
        0,
    )
    assert publish(pub_config).table(SNAPSHOT).strategy == "unchanged"
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)


def test_a_restated_day_with_the_same_row_count_is_found(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    data = dict(V1)  # a corrected dump for 2026-02-09: tenant 103's move-out plan moved by a day
    data[SNAPSHOT] = [
        r[:8] + (dt.date(2026, 4, 1),) if (r[0], r[1]) == (dt.date(2026, 2, 9), 103) else r
        for r in V1[SNAPSHOT]
    ]
    write_warehouse(pub_config.warehouse.path, data)
    snap = publish(pub_config).table(SNAPSHOT)
    assert (snap.strategy, snap.inserted, snap.updated, snap.deleted, snap.days_written) == (
        "window",
        0,
        1,
        0,
        1,
    )
    assert read_all(root, pub_config) == expected(data, SNAPSHOT_DAYS)
