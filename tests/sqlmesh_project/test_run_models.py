"""`pipeline.models.run_models` and `lakehouse models`: plan or run, restatements, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pytest

from lake.errors import ModelsError
from pipeline.models import run_models
from pipeline.models.runner import models_child
from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.conftest import history_rows, metrics_rows
from tests.sqlmesh_project.lakefiles import room, tenant, write_day

# end to end with the real SQLMesh: `make test` runs them, a plain `pytest` does not
pytestmark = pytest.mark.slow

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


def test_an_unchanged_project_skips_the_plan_diff_and_a_plan_made_elsewhere_brings_it_back(project):
    """The diff (~1 s) runs only when the project or prod may differ from the last successful run."""
    cfg = project.config
    lake.write_initial(cfg)
    run_models(cfg)
    lake.write_new_day(cfg)
    daily = run_models(cfg)
    assert (daily.action, daily.new_days) == ("run", [D(lake.NEW_DAY)])
    assert "project" in daily.steps and "diff" not in daily.steps, daily.steps

    # a plan made outside run_models (here a restatement with the real CLI) moves prod's plan id
    project.sqlmesh("plan", "--restate-model", "gold.occupancy_daily_metrics", "--auto-apply", "--no-prompts")
    after = run_models(cfg)
    assert "diff" in after.steps and (after.action, after.reason) == ("run", "up to date"), after.steps
    assert "diff" not in run_models(cfg).steps

    # a changed configuration changes the fingerprint: diffed, and planned since the models changed
    changed = cfg.replace(kpi=dataclasses.replace(cfg.kpi, forward_days=20))
    replanned = run_models(changed)
    assert "diff" in replanned.steps and (replanned.action, replanned.reason) == ("plan", "models changed")
    assert metrics_rows(project, "is_projection") == lake.projection_new_day(20)


def test_a_child_started_before_the_ingest_computes_what_was_ingested_meanwhile(project):
    """The daily job starts the SQLMesh child before ingesting: it must read the lake only when run."""
    cfg = project.config
    with models_child(cfg) as child:
        lake.write_initial(cfg)  # the "ingest", while the child imports SQLMesh and waits
        report = child.run()
    assert (report.action, report.as_of) == ("plan", D("2024-05-04"))
    assert metrics_rows(project) == {**lake.ACTUALS_INITIAL, **lake.projection_initial(10)}


def test_a_child_started_ahead_and_never_run_exits_without_touching_anything(project):
    cfg = project.config
    lake.write_initial(cfg)
    with models_child(cfg) as child:
        proc = child._proc
        time.sleep(4)  # SQLMesh is imported by then
        assert proc.poll() is None  # still waiting for its job
    assert proc.returncode is not None
    assert not Path(cfg.warehouse.path).exists()


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


def test_lakehouse_models_command(project):
    lake.write_initial(project.config)
    dry = project.lakehouse("models", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("models (dry run): would plan (first build), as of 2024-05-04")
    if Path(project.config.warehouse.path).exists():  # the dry run built nothing
        assert project.query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'gold'"
        ) == [(0,)]

    done = project.lakehouse("models")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("models: plan (first build), as of 2024-05-04")
    assert metrics_rows(project) == {**lake.ACTUALS_INITIAL, **lake.projection_initial(10)}

    assert project.lakehouse("models", "--restate-from", "2024-05-02").returncode == 2  # see backfill


def _updated_at(project) -> dict[str, object]:
    rows = project.query(
        "SELECT snapshot_date, updated_at FROM gold.occupancy_daily_metrics WHERE NOT is_projection"
    )
    return {d.isoformat(): t for d, t in rows}


def test_lakehouse_backfill_recomputes_exactly_the_range_and_nothing_after(project):
    lake.write_initial(project.config)
    assert project.lakehouse("models").returncode == 0
    built = _updated_at(project)

    # 05-02 is corrected in the lake; a backfill of 05-01 alone recomputes 05-01 only: 05-02
    # keeps the values of its old dump (nothing after the range is touched)
    lake.write_corrected_day(project.config)
    first = project.lakehouse("backfill", "--start", "2024-05-01", "--end", "2024-05-01")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(
        "backfill: recomputed 2024-05-01 in every model reading the lake; nothing after (the "
        "warehouse stays as of 2024-05-04)"
    ), first.stdout
    after_first = _updated_at(project)
    assert after_first["2024-05-01"] > built["2024-05-01"]
    assert {d: after_first[d] for d in ("2024-05-02", "2024-05-04")} == {
        d: built[d] for d in ("2024-05-02", "2024-05-04")
    }
    assert metrics_rows(project, "NOT is_projection") == lake.ACTUALS_INITIAL

    # a new day is ingested but not computed: a backfill of 05-02 corrects 05-02, leaves 05-04
    # as it was and does not compute 05-05 (that is `lakehouse models`' job)
    lake.write_new_day(project.config)
    second = project.lakehouse("backfill", "--start", "2024-05-02")
    assert second.returncode == 0, second.stderr
    assert "recomputed 2024-05-02..2024-05-04" in second.stdout
    assert "lake content changed on 2024-05-02" in second.stdout
    rows = metrics_rows(project, "NOT is_projection")
    assert rows == {**lake.ACTUALS_INITIAL, "2024-05-02": lake.ACTUAL_CORRECTED_DAY}
    assert project.query("SELECT max(as_of_snapshot_date) FROM gold.occupancy_daily_metrics") == [
        (dt.date(2024, 5, 4),)
    ]
    # D is an inquiry on 05-01 and (corrected) 05-02, then contracting (4) on 05-04 = T
    assert history_rows(project, "tenant_id = 4") == [
        lake.HISTORY_CORRECTED_TENANT_4[0],
        (4, "2024-05-04", 2, 4, 1, None, None, True, 1),
    ]

    # then the models job computes the new day as usual
    assert project.lakehouse("models").returncode == 0
    assert metrics_rows(project, "snapshot_date = '2024-05-05' AND NOT is_projection") == {
        lake.NEW_DAY: lake.ACTUAL_NEW_DAY
    }
    assert history_rows(project, "tenant_id = 4") == lake.HISTORY_CORRECTED_TENANT_4


def test_lakehouse_backfill_refuses_a_range_it_cannot_recompute_and_changes_nothing(project):
    lake.write_initial(project.config)
    lake.write_new_day(project.config)  # 05-05 ingested, computed below only by `models`
    none_yet = project.lakehouse("backfill", "--start", "2024-05-02")
    assert none_yet.returncode == 1 and "`lakehouse models` builds every lake day first" in none_yet.stderr

    assert project.lakehouse("models").returncode == 0
    lake.write_corrected_day(project.config)
    built = _updated_at(project)
    cases = {
        ("--start", "2024-05-04", "--end", "2024-05-02"): "--start 2024-05-04 is after --end 2024-05-02",
        ("--start", "2024-04-30"): "--start 2024-04-30 is before the models' first day 2024-05-01",
        ("--start", "2024-05-02", "--end", "2024-05-09"): "--end 2024-05-09 is after the warehouse's "
        "latest computed day 2024-05-05",
        ("--start", "someday"): "not a date YYYY-MM-DD: 'someday'",
        ("--end", "2024-05-02"): "Missing option '--start'",
    }
    for args, message in cases.items():
        proc = project.lakehouse("backfill", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) <= 4, proc.stderr  # click: usage, hint, error
    assert _updated_at(project) == built

    # a changed project must be planned first
    changed = project.lakehouse("backfill", "--start", "2024-05-02", LAKEHOUSE__KPI__FORWARD_DAYS="20")
    assert changed.returncode == 1 and "`lakehouse models` applies the change first" in changed.stderr
    assert _updated_at(project) == built


def test_lakehouse_models_exits_non_zero_on_a_failed_audit(project):
    write_day(
        project.config,
        "2024-05-01",
        [tenant(i, 6, apartment_id=1, room_id=i, move_in_date="2024-01-01") for i in (1, 2)],
        [room(1, 1)],
    )
    proc = project.lakehouse("models")
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
