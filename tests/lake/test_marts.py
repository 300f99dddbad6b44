"""lake.marts and lake.analysts: the analysts' snapshot of the warehouse, on a small hand-worked lake.

Values come from tests/sqlmesh_project/small_lake.py (worked out by hand from SPEC §4); the
marts are built by the real `lakehouse models` (which exports them after the run).
"""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from lake.analysts import open_session, scan
from lake.marts import MART_TABLES, marts_dir, read_marts
from lake.storage import storage_for
from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.conftest import make_project


def lakehouse(project, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--config", str(project.config_file), *args],
        env=project.env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc


def metrics(con, where: str = "NOT is_projection") -> dict[str, tuple]:
    rows = con.execute(
        "SELECT snapshot_date, applications, new_moveins, new_moveouts, occupancy_delta, period_start_rooms, "
        "period_end_rooms, total_rooms, CAST(occupancy_rate AS VARCHAR) FROM gold.occupancy_daily_metrics "
        f"WHERE {where} ORDER BY 1"
    ).fetchall()
    return {r[0].isoformat(): tuple(r[1:]) for r in rows}


def marts_files(config) -> set[str]:
    return {i.uri for i in storage_for(config.lake.root, config).list(marts_dir(config.lake.root))}


@pytest.fixture(params=["local", "s3"])
def built(request, tmp_path):
    base = request.getfixturevalue("local_config" if request.param == "local" else "s3_config")
    project = make_project(base, tmp_path)
    lake.write_initial(project.config)
    out = lakehouse(project, "models").stdout
    assert "marts as of 2024-05-04: 9 tables" in out, out
    return project


def test_the_marts_hold_the_models_tables_with_the_hand_worked_values(built):
    con = open_session(built.config)
    try:
        assert metrics(con) == lake.ACTUALS_INITIAL
        assert metrics(con, "is_projection") == lake.projection_initial(10)
        history = con.execute(
            "SELECT tenant_id, valid_from, version_number, status, contract_type, payment_status, valid_to, "
            "is_current, days_in_status FROM silver.tenant_status_history ORDER BY 1, 2"
        ).fetchall()
        assert [
            (r[0], r[1].isoformat(), *r[2:6], r[6].isoformat() if r[6] else None, *r[7:]) for r in history
        ] == (lake.HISTORY_INITIAL)
        # the day-partitioned snapshots: every tenant of every day, snapshot_date first
        assert con.execute(
            "SELECT snapshot_date::VARCHAR, count(*) FROM silver.tenant_daily_snapshots GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("2024-05-01", 5), ("2024-05-02", 5), ("2024-05-04", 4)]
        columns = [r[0] for r in con.execute("DESCRIBE silver.tenant_daily_snapshots").fetchall()]
        assert columns == ["snapshot_date", "tenant_id", "status", "contract_type", "payment_status"]
        assert con.execute("SELECT count(*) FROM reference.status_codes").fetchone()[0] == 18
        # raw views: the lake's committed days, full_name hidden
        assert con.execute("SELECT count(*) FROM raw.tenants").fetchone()[0] == 14
        assert "full_name" not in [r[0] for r in con.execute("DESCRIBE raw.tenants").fetchall()]
    finally:
        con.close()


def test_full_name_only_with_pii_and_the_use_is_logged(built, caplog):
    con = open_session(built.config, pii=True)
    try:
        assert con.execute(
            "SELECT full_name FROM silver.tenant_daily_snapshots WHERE tenant_id = 1 LIMIT 1"
        ).fetchone() == ("入居者 1",)
    finally:
        con.close()
    assert any("personal data visible (--pii)" in r.getMessage() for r in caplog.records)


def test_polars_scan_reads_the_same_rows(built):
    frame = scan("gold.occupancy_daily_metrics", built.config).collect()
    actual = frame.filter(~frame["is_projection"]).sort("snapshot_date")
    assert [d.isoformat() for d in actual["snapshot_date"]] == list(lake.ACTUALS_INITIAL)
    assert actual["period_end_rooms"].to_list() == [v[5] for v in lake.ACTUALS_INITIAL.values()]
    snaps = scan("silver.tenant_daily_snapshots", built.config).collect()
    assert snaps.columns[0] == "snapshot_date" and "full_name" not in snaps.columns and snaps.height == 14
    assert "full_name" in scan("raw.tenants", built.config, pii=True).collect_schema().names()
    with pytest.raises(LookupError, match="unknown table 'gold.nope'"):
        scan("gold.nope", built.config)


def test_a_new_day_rewrites_only_its_day_and_two_versions_of_files_are_kept(built):
    config = built.config
    first = read_marts(config)
    first_files = marts_files(config)
    assert first_files == first.files()
    days_before = first.tables["silver.tenant_daily_snapshots"]["days"]

    lake.write_new_day(config)
    out = lakehouse(built, "models").stdout
    second = read_marts(config)
    days = second.tables["silver.tenant_daily_snapshots"]["days"]
    assert second.as_of.isoformat() == lake.NEW_DAY and list(days) == [*days_before, lake.NEW_DAY]
    # the older days keep their files; the new day and the small whole tables are new files
    assert {d: days[d]["file"] for d in days_before} == {d: v["file"] for d, v in days_before.items()}
    assert "marts as of 2024-05-05" in out
    assert second.previous_files == sorted(first.files())
    assert marts_files(config) == second.files() | first.files()  # the previous version is kept

    # a corrected day: its day file is rewritten; the version before the previous one is swept
    lake.write_corrected_day(config)
    lakehouse(built, "models")
    third = read_marts(config)
    days3 = third.tables["silver.tenant_daily_snapshots"]["days"]
    assert days3["2024-05-02"]["file"] != days["2024-05-02"]["file"]
    assert days3["2024-05-01"]["file"] == days["2024-05-01"]["file"]
    assert marts_files(config) == third.files() | second.files()
    con = open_session(config)
    try:
        assert metrics(con)["2024-05-02"] == lake.ACTUAL_CORRECTED_DAY
    finally:
        con.close()


def test_analyst_sessions_never_hold_the_warehouse_and_never_name_its_catalog(built):
    # a writer holds the live warehouse open: the analyst session still answers
    writer = duckdb.connect(built.config.warehouse.path)
    try:
        con = open_session(built.config)
        try:
            assert metrics(con) == lake.ACTUALS_INITIAL
        finally:
            con.close()
    finally:
        writer.close()
    assert set(read_marts(built.config).tables) == set(MART_TABLES)
    con = open_session(built.config)
    try:
        views = con.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall()
    finally:
        con.close()
    assert len(views) == len(MART_TABLES) + 3
    assert not any("warehouse" in sql and "read_parquet" not in sql for (sql,) in views)
    assert not any("sqlmesh__" in sql for (sql,) in views)
