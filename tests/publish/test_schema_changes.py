"""Columns the warehouse gains, tables a DBA touched, and loads that must not be trusted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lake.errors import PublishError
from publish import bulkload
from publish.publisher import publish
from tests.publish.conftest import SNAPSHOT_DAYS, assert_rolled_back, contents, read_all, tables_in
from tests.publish.warehouses import COLUMNS, V1, V2, expected, write_warehouse

METRICS = "gold.occupancy_daily_metrics"
SNAPSHOT = "silver.tenant_room_snapshot_daily"


def _with_extra_columns() -> tuple[dict, dict]:
    cols = dict(COLUMNS)
    cols[METRICS] = COLUMNS[METRICS] + [
        ("rate_7d", "DECIMAL(6,4)"),
        ("notes", "VARCHAR"),
        ("score", "DOUBLE"),
    ]
    cols[SNAPSHOT] = COLUMNS[SNAPSHOT] + [("payment_status", "INTEGER")]
    data = dict(V1)
    data[METRICS] = [r + (Decimal("0.1234"), 'メモ, "quoted"', 1.5) for r in V1[METRICS]]
    data[SNAPSHOT] = [r + (r[1] % 3,) for r in V1[SNAPSHOT]]
    return cols, data


def test_columns_the_warehouse_gained_are_added(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    cols, data = _with_extra_columns()
    write_warehouse(pub_config.warehouse.path, data, columns=cols)
    report = publish(pub_config)

    metrics = report.table(METRICS)
    assert (metrics.strategy, metrics.added_columns) == ("rewrite", ["rate_7d", "notes", "score"])
    assert (metrics.inserted, metrics.updated, metrics.deleted) == (0, 0, 0)  # contract columns unchanged
    snap = report.table(SNAPSHOT)
    assert (snap.strategy, snap.added_columns, snap.days_written) == ("rewrite", ["payment_status"], 3)
    assert [t.strategy for t in report.tables[1:3]] == ["unchanged", "unchanged"]
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)  # dashboards' columns intact
    gold, silver = pub_config.mysql.databases["gold"], pub_config.mysql.databases["silver"]
    with root.cursor() as cur:
        cur.execute(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s "
            "AND TABLE_NAME='occupancy_daily_metrics' AND COLUMN_NAME IN ('rate_7d','notes','score')",
            (gold,),
        )
        assert dict(cur.fetchall()) == {"rate_7d": "decimal(6,4)", "notes": "text", "score": "double"}
        cur.execute(f"SELECT DISTINCT rate_7d, notes, score FROM `{gold}`.occupancy_daily_metrics")
        assert cur.fetchall() == ((Decimal("0.1234"), 'メモ, "quoted"', 1.5),)
        cur.execute(f"SELECT tenant_id, payment_status FROM `{silver}`.tenant_room_snapshot_daily")
        assert {(t, p) for t, p in cur.fetchall()} == {(101, 2), (102, 0), (103, 1)}
    again = publish(pub_config)
    assert [t.strategy for t in again.tables] == ["unchanged"] * 7


def test_what_a_dba_added_survives_an_upsert(pub_config, root):
    """Indexes and extra nullable columns stay; rows publish does not touch keep the DBA's values,
    rows it replaces (REPLACE = delete + insert by key) get NULL there."""
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    silver = pub_config.mysql.databases["silver"]
    with root.cursor() as cur:
        cur.execute(f"CREATE INDEX ix_status ON `{silver}`.tenant_status_history (status, valid_from)")
        cur.execute(f"ALTER TABLE `{silver}`.tenant_status_history ADD COLUMN dba_note VARCHAR(20) NULL")
        cur.execute(f"UPDATE `{silver}`.tenant_status_history SET dba_note = 'checked'")
    write_warehouse(pub_config.warehouse.path, V2)
    assert publish(pub_config).table("silver.tenant_status_history").strategy == "upsert"
    with root.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA=%s "
            "AND TABLE_NAME='tenant_status_history'",
            (silver,),
        )
        assert {r[0] for r in cur.fetchall()} == {"PRIMARY", "ix_status"}
        cur.execute(f"SELECT tenant_id, valid_from, dba_note FROM `{silver}`.tenant_status_history")
        notes = {(t, str(v)): n for t, v, n in cur.fetchall()}
    # V1 -> V2: (101, 2025-12-01) and (103, 2025-11-01) are identical, the other four are new or changed
    assert notes == {
        (101, "2025-12-01"): "checked", (101, "2026-01-10"): None, (102, "2026-02-02"): None,
        (102, "2026-02-09"): None, (103, "2025-11-01"): "checked", (104, "2026-02-11"): None,
    }  # fmt: skip
    assert read_all(root, pub_config) == expected(V2, SNAPSHOT_DAYS)


def test_a_legacy_table_without_primary_key_is_replaced(pub_config, root):
    gold = pub_config.mysql.databases["gold"]
    with root.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{gold}`")
        cur.execute(f"CREATE TABLE `{gold}`.occupancy_daily_metrics (snapshot_date DATE, applications INT)")
        cur.execute(
            f"INSERT INTO `{gold}`.occupancy_daily_metrics VALUES ('2026-02-08', 2), ('2026-02-08', 2)"
        )
    write_warehouse(pub_config.warehouse.path, V1)
    report = publish(pub_config)
    metrics = report.table(METRICS)
    assert metrics.strategy == "rewrite" and "primary key" in metrics.note
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)
    assert publish(pub_config).table(METRICS).strategy == "unchanged"
    with root.cursor() as cur:
        cur.execute(
            "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA=%s "
            "AND TABLE_NAME='occupancy_daily_metrics' AND INDEX_NAME='PRIMARY'",
            (gold,),
        )
        assert [r[0] for r in cur.fetchall()] == ["snapshot_date"]


def test_an_unsupported_gained_column_is_a_clear_error(pub_config, root):
    cols = dict(COLUMNS)
    cols[METRICS] = COLUMNS[METRICS] + [("tags", "VARCHAR[]")]
    data = dict(V1)
    data[METRICS] = [r + (["a"],) for r in V1[METRICS]]
    write_warehouse(pub_config.warehouse.path, data, columns=cols)
    with pytest.raises(PublishError, match=r"gold.occupancy_daily_metrics.tags has DuckDB type VARCHAR\[\]"):
        publish(pub_config)
    assert tables_in(root, pub_config.mysql.databases["gold"]) == []


def test_duplicate_grain_rows_in_the_warehouse_fail_the_table(pub_config, root):
    data = dict(V1)
    data[METRICS] = V1[METRICS] + [V1[METRICS][0][:1] + (9,) + V1[METRICS][0][2:]]
    write_warehouse(pub_config.warehouse.path, data)
    with pytest.raises(PublishError, match="gold.occupancy_daily_metrics has 1 duplicate row"):
        publish(pub_config)
    assert read_table_names(root, pub_config) == []


def read_table_names(root, cfg):
    return [
        t
        for t in tables_in(root, cfg.mysql.databases["gold"])
        if t != "publish_log" and "publish_days" not in t
    ]


def test_a_checksum_mismatch_fails_and_leaves_the_old_table(pub_config, root, monkeypatch):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    real_load = bulkload.BulkLoader.load

    def corrupting_load(self, cur, spec, database, where="", only=None):
        n = real_load(self, cur, spec, database, where, only)
        if spec.name == "tenant_status_transitions":  # silently lose a label, as a broken load would
            cur.execute(f"UPDATE `{database}`.`{spec.name}` SET status_label = 'x' WHERE tenant_id = 104")
        return n

    monkeypatch.setattr(bulkload.BulkLoader, "load", corrupting_load)
    before = contents(root, pub_config)
    gold = pub_config.mysql.databases["gold"]
    with pytest.raises(
        PublishError, match=rf"verification failed for {gold}.tenant_status_transitions: .* 6 rows"
    ):
        publish(pub_config)
    # nothing committed, not even the tables written before it (metrics, history)
    assert_rolled_back(root, pub_config, before, "verification failed")


def test_a_snapshot_day_that_does_not_verify_rolls_back(pub_config, root, monkeypatch):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    real_load = bulkload.BulkLoader.load

    def corrupting_load(self, cur, spec, database, where="", only=None):
        n = real_load(self, cur, spec, database, where, only)
        if spec.name == "tenant_room_snapshot_daily":
            cur.execute(f"DELETE FROM `{database}`.`{spec.name}` WHERE tenant_id = 104")
        return n

    monkeypatch.setattr(bulkload.BulkLoader, "load", corrupting_load)
    before = contents(root, pub_config)
    with pytest.raises(
        PublishError, match=r"verification failed .*2026-02-11: warehouse 4 rows, MySQL 3 rows"
    ):
        publish(pub_config)
    assert_rolled_back(root, pub_config, before, "2026-02-11: warehouse 4 rows, MySQL 3 rows")


def test_values_mysql_would_truncate_fail_the_load(pub_config, root):
    """MySQL's LOAD DATA LOCAL only warns on truncation (MariaDB in strict mode errors): both fail."""
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    gold = pub_config.mysql.databases["gold"]
    with root.cursor() as cur:  # a DBA narrowed a column
        cur.execute(f"ALTER TABLE `{gold}`.tenant_status_transitions MODIFY status_label VARCHAR(13)")
    write_warehouse(pub_config.warehouse.path, V2)
    before = contents(root, pub_config)
    with pytest.raises(PublishError, match=r"tenant_status_transitions.*(warning|Data too long)"):
        publish(pub_config)
    assert_rolled_back(root, pub_config, before, "tenant_status_transitions")
    got = read_all(root, pub_config)
    assert dt.date(2026, 2, 13) in {r[0] for r in got[METRICS]}  # still the old metrics
