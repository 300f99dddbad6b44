"""`pipeline.models.run_models` and `lakehouse models`: plan or run, restatements, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from lake.errors import ModelsError
from pipeline.models import run_models
from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.conftest import history_rows, metrics_rows
from tests.sqlmesh_project.lakefiles import room, tenant, write_day

D = dt.date.fromisoformat


def test_first_build_then_run_then_restate(project, capsys):
    cfg = project.config
    lake.write_initial(cfg)

    first = run_models(cfg)
    assert (first.action, first.reason, first.as_of) == ("plan", "first build", D("2024-05-04"))
    assert first.new_days == [D("2024-05-01"), D("2024-05-02"), D("2024-05-04")]
    assert metrics_rows(project) == {**lake.ACTUALS_INITIAL, **lake.projection_initial(10)}
    assert "first build" in first.summary()

    again = run_models(cfg)
    assert (again.action, again.reason, again.nothing_to_do) == ("run", "up to date", True)
    assert again.new_days == [] and again.restated == []

    lake.write_new_day(cfg)
    daily = run_models(cfg)
    assert (daily.action, daily.reason, daily.new_days) == ("run", "new snapshots", [D(lake.NEW_DAY)])
    assert metrics_rows(project) == {
        **lake.ACTUALS_INITIAL,
        lake.NEW_DAY: lake.ACTUAL_NEW_DAY,
        **lake.projection_new_day(10),
    }
    assert history_rows(project) == lake.HISTORY_NEW_DAY

    # a corrected dump of an older day: its lake content no longer matches what the warehouse
    # computed it from, so it is restated without anybody naming it
    lake.write_corrected_day(cfg)
    fixed = run_models(cfg)
    assert fixed.restated == [(D("2024-05-02"), D("2024-05-02"))]
    assert metrics_rows(project, "NOT is_projection")["2024-05-02"] == lake.ACTUAL_CORRECTED_DAY
    assert history_rows(project, "tenant_id = 4") == lake.HISTORY_CORRECTED_TENANT_4
    assert "restated 2024-05-02" in fixed.summary()


def test_a_late_dump_for_a_gap_day_is_reconciled(project):
    """05-03 was processed as a gap (no row); its dump arrives after 05-04: it is restated."""
    cfg = project.config
    lake.write_initial(cfg)
    run_models(cfg)
    write_day(cfg, "2024-05-03", lake.DAYS["2024-05-02"], lake.ROOMS)

    report = run_models(cfg)
    assert report.reconciled_days == [D("2024-05-03")]
    assert report.restated == [(D("2024-05-03"), D("2024-05-03"))]
    # by hand: start A (in 04-01), B (in 05-02 < 05-03), C (leaves 05-04 >= 05-03) = 3; 3/4
    assert metrics_rows(project, "NOT is_projection")["2024-05-03"] == (0, 0, 0, 0, 3, 3, 4, "0.7500")
    # E (12) was seen on 05-03 too, so it vanished after 05-03, not after 05-02
    assert history_rows(project, "tenant_id = 5") == [
        (5, "2024-05-01", 1, 12, 1, None, "2024-05-03", False, 3)
    ]


def test_a_changed_kpi_variable_plans(project):
    cfg = project.config
    lake.write_initial(cfg)
    run_models(cfg)
    changed = cfg.replace(kpi=dataclasses.replace(cfg.kpi, forward_days=20))
    report = run_models(changed)
    assert (report.action, report.reason) == ("plan", "models changed")
    assert metrics_rows(project, "is_projection") == lake.projection_initial(20)
    assert run_models(changed).action == "run"


def test_todays_dump_is_computed_before_its_utc_day_ends(project):
    """A dump dated "tomorrow" in UTC (the morning in Tokyo) is computed at once.

    With @daily intervals a plain `sqlmesh run` leaves a day until 00:00 UTC the next day;
    run_models pins SQLMesh's execution time to the day after the lake's latest snapshot.
    """
    cfg = project.config
    today = dt.datetime.now(dt.timezone.utc).date()
    t = today + dt.timedelta(days=1)
    days = [t - dt.timedelta(days=2), t - dt.timedelta(days=1), t]
    for day in days:
        write_day(
            cfg,
            day.isoformat(),
            [tenant(1, 6, apartment_id=1, room_id=1, move_in_date="2024-01-01")],
            [room(1, 1), room(2, 1)],
        )
    report = run_models(cfg)
    assert report.as_of == t
    rows = metrics_rows(project)
    assert [k for k, v in rows.items()][:3] == [d.isoformat() for d in days]
    assert rows[t.isoformat()] == (0, 0, 0, 0, 1, 1, 2, "0.5000")
    assert min(k for k in rows if k > t.isoformat()) == (t + dt.timedelta(days=1)).isoformat()


def test_a_failing_audit_is_an_error_naming_audit_and_model(project):
    write_day(
        project.config,
        "2024-05-01",
        [
            tenant(1, 6, apartment_id=1, room_id=1, move_in_date="2024-01-01"),
            tenant(2, 6, apartment_id=1, room_id=2, move_in_date="2024-01-01"),
        ],
        [room(1, 1)],
    )
    with pytest.raises(ModelsError) as err:
        run_models(project.config)
    message = str(err.value)
    assert "audit metrics_rate_within_unit_range failed on model" in message
    assert "gold.occupancy_daily_metrics" in message


def test_an_empty_lake_is_an_error(project):
    with pytest.raises(ModelsError, match="no committed snapshot day"):
        run_models(project.config)


def _lakehouse(project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--config", str(project.config_file), *args],
        env=project.env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_lakehouse_models_command(project):
    lake.write_initial(project.config)
    dry = _lakehouse(project, "models", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("models (dry run): would plan (first build), as of 2024-05-04")
    if Path(project.config.warehouse.path).exists():  # the dry run built nothing
        assert project.query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'gold'"
        ) == [(0,)]

    done = _lakehouse(project, "models")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("models: plan (first build), as of 2024-05-04")
    assert metrics_rows(project) == {**lake.ACTUALS_INITIAL, **lake.projection_initial(10)}

    lake.write_corrected_day(project.config)
    restate = _lakehouse(project, "models", "--restate-from", "2024-05-02", "--restate-to", "2024-05-02")
    assert restate.returncode == 0, restate.stderr
    assert "restated 2024-05-02" in restate.stdout
    assert metrics_rows(project, "NOT is_projection")["2024-05-02"] == lake.ACTUAL_CORRECTED_DAY

    bad = _lakehouse(project, "models", "--restate-to", "2024-05-02")
    assert bad.returncode == 2 and "--restate-to needs --restate-from" in bad.stderr


def test_lakehouse_models_exits_non_zero_on_a_failed_audit(project):
    write_day(
        project.config,
        "2024-05-01",
        [tenant(i, 6, apartment_id=1, room_id=i, move_in_date="2024-01-01") for i in (1, 2)],
        [room(1, 1)],
    )
    proc = _lakehouse(project, "models")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "lakehouse models: error: sqlmesh plan failed: audit metrics_rate_within_unit_range"
    )


def test_a_lost_warehouse_is_rebuilt_from_the_lake(project):
    """Wiping the warehouse loses nothing: the next run rebuilds the same tables from the lake."""
    cfg = project.config
    lake.write_initial(cfg)
    lake.write_new_day(cfg)
    run_models(cfg)
    before = (metrics_rows(project), history_rows(project))

    for path in Path(cfg.warehouse.path).parent.glob(Path(cfg.warehouse.path).name + "*"):
        path.unlink()
    report = run_models(cfg)
    assert (report.action, report.reason) == ("plan", "first build")
    assert (metrics_rows(project), history_rows(project)) == before
    assert before[1] == lake.HISTORY_NEW_DAY


def test_a_new_day_and_a_corrected_older_day_in_one_run(project):
    """The morning brings the new day and a corrected older dump: both land in every model.

    The restatement must not leave the FULL models (history, transitions) or the projection
    behind the new day.
    """
    cfg = project.config
    lake.write_initial(cfg)
    run_models(cfg)
    lake.write_new_day(cfg)
    lake.write_corrected_day(cfg)

    report = run_models(cfg)
    assert (report.action, report.new_days) == ("run", [D(lake.NEW_DAY)])
    assert report.restated == [(D("2024-05-02"), D("2024-05-02"))]
    assert metrics_rows(project) == {
        **lake.ACTUALS_INITIAL,
        "2024-05-02": lake.ACTUAL_CORRECTED_DAY,
        lake.NEW_DAY: lake.ACTUAL_NEW_DAY,
        **lake.projection_new_day(10),
    }
    expected_history = [r for r in lake.HISTORY_NEW_DAY if r[0] != 4] + lake.HISTORY_CORRECTED_TENANT_4
    assert history_rows(project) == sorted(expected_history)
