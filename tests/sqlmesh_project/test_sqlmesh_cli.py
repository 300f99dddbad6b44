"""The SQLMesh project through the real `sqlmesh` CLI, on small hand-written lakes.

Expected values come from tests/sqlmesh_project/small_lake.py, worked out by hand from SPEC §4.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.conftest import history_rows, make_project, metrics_rows
from tests.sqlmesh_project.lakefiles import room, tenant, write_day

# end to end with the real SQLMesh: `make test` runs them, a plain `pytest` does not
pytestmark = pytest.mark.slow

CONTRACT_COLUMNS = {
    "silver.tenant_daily_snapshots": [
        ("snapshot_date", "DATE"),
        ("tenant_id", "BIGINT"),
        ("status", "INTEGER"),
        ("contract_type", "INTEGER"),
        ("payment_status", "INTEGER"),
        ("full_name", "VARCHAR"),
    ],
    "silver.tenant_room_snapshot_daily": [
        ("snapshot_date", "DATE"),
        ("tenant_id", "BIGINT"),
        ("apartment_id", "BIGINT"),
        ("room_id", "BIGINT"),
        ("management_status_code", "INTEGER"),
        ("application_date", "DATE"),
        ("move_in_date", "DATE"),
        ("moveout_date", "DATE"),
        ("moveout_plans_date", "DATE"),
    ],
    "silver.tenant_status_history": [
        ("tenant_id", "BIGINT"),
        ("valid_from", "DATE"),
        ("version_number", "INTEGER"),
        ("status", "INTEGER"),
        ("contract_type", "INTEGER"),
        ("payment_status", "INTEGER"),
        ("valid_to", "DATE"),
        ("is_current", "BOOLEAN"),
        ("days_in_status", "INTEGER"),
    ],
    "gold.tenant_status_transitions": [
        ("tenant_id", "BIGINT"),
        ("valid_from", "DATE"),
        ("version_number", "INTEGER"),
        ("status", "INTEGER"),
        ("status_label", "VARCHAR"),
        ("previous_status", "INTEGER"),
        ("previous_status_label", "VARCHAR"),
        ("payment_status", "INTEGER"),
        ("previous_payment_status", "INTEGER"),
        ("valid_to", "DATE"),
        ("days_in_status", "INTEGER"),
        ("is_current", "BOOLEAN"),
        ("status_changed", "BOOLEAN"),
        ("payment_status_changed", "BOOLEAN"),
    ],
    "gold.occupancy_daily_metrics": [
        ("snapshot_date", "DATE"),
        ("applications", "INTEGER"),
        ("new_moveins", "INTEGER"),
        ("new_moveouts", "INTEGER"),
        ("occupancy_delta", "INTEGER"),
        ("period_start_rooms", "INTEGER"),
        ("period_end_rooms", "INTEGER"),
        ("total_rooms", "INTEGER"),
        ("occupancy_rate", "DECIMAL(5,4)"),
        ("is_projection", "BOOLEAN"),
        ("as_of_snapshot_date", "DATE"),
        ("updated_at", "TIMESTAMP"),
    ],
}


def test_sqlmesh_unit_tests_pass(project):
    out = project.sqlmesh("test").stdout
    assert "Successfully Ran" in out, out
    assert "FAIL" not in out


def test_first_build_matches_the_hand_computed_values(project):
    lake.write_initial(project.config)
    project.sqlmesh("plan", "--auto-apply", "--no-prompts")

    for table, columns in CONTRACT_COLUMNS.items():
        schema, name = table.split(".")
        got = project.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{schema}' AND table_name = '{name}' ORDER BY ordinal_position"
        )
        assert got == columns, table

    # actuals for the three snapshot days (none for the gap day 05-03), then 10 projected days
    expected = {**lake.ACTUALS_INITIAL, **lake.projection_initial(10)}
    assert metrics_rows(project) == expected
    flags = project.query(
        "SELECT snapshot_date, is_projection, as_of_snapshot_date "
        "FROM gold.occupancy_daily_metrics ORDER BY 1"
    )
    assert [(d.isoformat(), p, a.isoformat()) for d, p, a in flags[:4]] == [
        ("2024-05-01", False, "2024-05-01"),
        ("2024-05-02", False, "2024-05-02"),
        ("2024-05-04", False, "2024-05-04"),
        ("2024-05-05", True, "2024-05-04"),
    ]

    assert history_rows(project) == lake.HISTORY_INITIAL
    transitions = project.query(
        "SELECT tenant_id, valid_from, status_label, previous_status, previous_status_label, "
        "status_changed, payment_status_changed FROM gold.tenant_status_transitions ORDER BY 1, 2"
    )
    assert [(r[0], r[1].isoformat(), *r[2:]) for r in transitions] == lake.TRANSITIONS_INITIAL

    # snapshots: every tenant of every day; room snapshots: only those with apartment and room
    assert project.query(
        "SELECT snapshot_date, count(*) FROM silver.tenant_daily_snapshots GROUP BY 1 ORDER BY 1"
    ) == [(d, n) for d, n in _days_counts({"2024-05-01": 5, "2024-05-02": 5, "2024-05-04": 4})]
    assert project.query(
        "SELECT snapshot_date, list(tenant_id ORDER BY tenant_id) FROM silver.tenant_room_snapshot_daily "
        "GROUP BY 1 ORDER BY 1"
    ) == [
        (d, ids)
        for d, ids in _days_counts(
            {"2024-05-01": [1, 2, 3], "2024-05-02": [1, 2, 3, 4], "2024-05-04": [1, 2, 3, 4]}
        )
    ]
    assert project.query(
        "SELECT full_name FROM silver.tenant_daily_snapshots WHERE tenant_id = 1 LIMIT 1"
    ) == [("入居者 1",)]


def _days_counts(values: dict) -> list:
    return [(dt.date.fromisoformat(k), v) for k, v in values.items()]


def test_plain_sqlmesh_plan_and_run_compute_a_dump_dated_today(local_config, tmp_path):
    # The morning's dump is dated today while SQLMesh's day interval for today has not ended
    # (intervals are UTC days): partial day intervals let plain `sqlmesh plan` compute it now.
    today = dt.datetime.now(dt.timezone.utc).date()
    yesterday = today - dt.timedelta(days=1)
    project = make_project(local_config, tmp_path, start=yesterday)
    rooms = [room(1, 100), room(2, 100), room(3, 100), room(4, 100), room(5, 100, is_active=0)]
    a = dict(apartment_id=100, room_id=1, move_in_date="2024-04-01")
    b = dict(apartment_id=100, room_id=2, move_in_date=today.isoformat())
    write_day(project.config, yesterday.isoformat(), [tenant(1, 6, **a), tenant(2, 5, **b)], rooms)
    project.sqlmesh("plan", "--auto-apply", "--no-prompts")
    assert project.query("SELECT max(as_of_snapshot_date) FROM gold.occupancy_daily_metrics") == [
        (yesterday,)
    ]

    # today's dump arrives: `sqlmesh run --ignore-cron` computes it at once, at any hour (a run
    # that keeps to the @hourly cron waits for the day's first tick, 01:00 UTC: docs/MODELS.md).
    # By hand: B (tenant 2) moves in today; period start = A only (B's move-in is not before
    # today), period end A + B = 2 of the 4 active rooms
    write_day(project.config, today.isoformat(), [tenant(1, 6, **a), tenant(2, 6, **b)], rooms)
    project.sqlmesh("run", "--ignore-cron")
    assert metrics_rows(project, f"snapshot_date = '{today}'") == {
        today.isoformat(): (0, 1, 0, 1, 1, 2, 4, "0.5000")
    }
    assert project.query("SELECT max(as_of_snapshot_date) FROM gold.occupancy_daily_metrics") == [(today,)]
    assert project.query(
        "SELECT min(snapshot_date) FROM gold.occupancy_daily_metrics WHERE is_projection"
    ) == [(today + dt.timedelta(days=1),)]

    # and a first build from scratch with plain `sqlmesh plan` includes today as well: a partial
    # interval up to the plan's execution time (noon here, so that the check does not depend on
    # the hour it runs at; before the day's first cron tick a plan needs one, docs/MODELS.md)
    warehouse = dataclasses.replace(local_config.warehouse, path=str(tmp_path / "fresh.duckdb"))
    fresh = make_project(local_config.replace(warehouse=warehouse), tmp_path / "fresh", start=yesterday)
    fresh.sqlmesh("plan", "--auto-apply", "--no-prompts", "--execution-time", f"{today}T12:00:00")
    assert metrics_rows(fresh, "NOT is_projection") == metrics_rows(project, "NOT is_projection")


def test_daily_run_picks_up_a_new_day_then_restate_recomputes_a_corrected_day(project):
    lake.write_initial(project.config)
    project.sqlmesh("plan", "--auto-apply", "--no-prompts")

    # a new day is ingested: a plain `sqlmesh run` computes it (the lake_has_snapshot signal
    # kept 05-05 missing until its partition existed) and moves the projection to T = 05-05
    lake.write_new_day(project.config)
    out = project.sqlmesh("run").stdout
    assert "2024-05-05" in out
    expected = {**lake.ACTUALS_INITIAL, lake.NEW_DAY: lake.ACTUAL_NEW_DAY, **lake.projection_new_day(10)}
    assert metrics_rows(project) == expected
    assert history_rows(project) == lake.HISTORY_NEW_DAY

    # nothing new: the next run computes nothing and changes nothing
    project.sqlmesh("run")
    assert metrics_rows(project) == expected

    # a corrected dump replaces 05-02: the documented restate command recomputes that day in
    # every model reading the lake and everything downstream of them
    lake.write_corrected_day(project.config)
    project.sqlmesh(
        "plan",
        "--restate-model",
        "tag:lake",
        "--start",
        "2024-05-02",
        "--end",
        "2024-05-02",
        "--auto-apply",
        "--no-prompts",
    )
    rows = metrics_rows(project)
    assert rows["2024-05-02"] == lake.ACTUAL_CORRECTED_DAY
    assert {k: v for k, v in rows.items() if k != "2024-05-02"} == {
        k: v for k, v in expected.items() if k != "2024-05-02"
    }
    assert history_rows(project, "tenant_id = 4") == lake.HISTORY_CORRECTED_TENANT_4
    assert project.query(
        "SELECT count(*) FROM silver.tenant_room_snapshot_daily WHERE snapshot_date = '2024-05-02'"
    ) == [(3,)]
    assert project.query(
        "SELECT status FROM silver.tenant_daily_snapshots "
        "WHERE snapshot_date = '2024-05-02' AND tenant_id = 4"
    ) == [(1,)]


def test_kpi_variable_change_is_picked_up_by_the_next_plan(project):
    lake.write_initial(project.config)
    project.sqlmesh("plan", "--auto-apply", "--no-prompts")
    assert len(metrics_rows(project, "is_projection")) == 10

    out = project.sqlmesh("plan", "--auto-apply", "--no-prompts", LAKEHOUSE__KPI__FORWARD_DAYS="20").stdout
    assert "occupancy_daily_projection" in out
    assert metrics_rows(project, "is_projection") == lake.projection_initial(20)

    # the occupied codes are variables too: without 9 (notice given) C no longer counts as
    # occupied on 05-01, so period_start_rooms(05-01) drops from 2 to 1
    project.sqlmesh(
        "plan",
        "--auto-apply",
        "--no-prompts",
        LAKEHOUSE__KPI__FORWARD_DAYS="20",
        LAKEHOUSE__KPI__OCCUPIED_STATUS_CODES="[4, 5, 6, 7]",
    )
    assert metrics_rows(project, "snapshot_date = '2024-05-01'")["2024-05-01"] == (
        0,
        0,
        0,
        0,
        1,
        1,
        4,
        "0.2500",
    )


def test_s3_lake(s3_project):
    """The same models on a lake in S3 (SeaweedFS): httpfs from the wheel, the secret from config."""
    lake.write_initial(s3_project.config)
    assert s3_project.config.lake.root.startswith("s3://")
    s3_project.sqlmesh("plan", "--auto-apply", "--no-prompts")
    assert metrics_rows(s3_project) == {**lake.ACTUALS_INITIAL, **lake.projection_initial(10)}
    assert history_rows(s3_project) == lake.HISTORY_INITIAL

    lake.write_new_day(s3_project.config)
    s3_project.sqlmesh("run")
    assert metrics_rows(s3_project, "NOT is_projection")[lake.NEW_DAY] == lake.ACTUAL_NEW_DAY


def test_a_failing_audit_blocks_and_names_itself(project):
    """Data breaking a rule (2 occupied pairs, 1 active room: rate 2.0) fails the plan."""
    from tests.sqlmesh_project.lakefiles import room, tenant, write_day

    write_day(
        project.config,
        "2024-05-01",
        [
            tenant(1, 6, apartment_id=1, room_id=1, move_in_date="2024-01-01"),
            tenant(2, 6, apartment_id=1, room_id=2, move_in_date="2024-01-01"),
        ],
        [room(1, 1)],
    )
    proc = project.sqlmesh("plan", "--auto-apply", "--no-prompts", check=False)
    assert proc.returncode != 0
    assert "metrics_rate_within_unit_range" in proc.stdout
    assert "occupancy_daily_metrics" in proc.stdout


def test_a_lake_without_rooms_partitions_still_builds(project):
    """A lake holding only tenants (e.g. legacy status CSV imports) gets empty raw.rooms: rate NULL."""
    from tests.sqlmesh_project.lakefiles import tenant, write_partition

    write_partition(project.config, "tenants", "2024-05-01", [tenant(1, 6)])
    project.sqlmesh("plan", "--auto-apply", "--no-prompts")
    rows = metrics_rows(project, "NOT is_projection")
    assert rows == {"2024-05-01": (0, 0, 0, 0, 0, 0, 0, None)}
