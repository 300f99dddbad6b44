"""`pipeline.models.planning.decide`: plan or run and which days to restate, from the lake and the
warehouse alone (no SQLMesh). Each case is worked out by hand from the rules in the module docstring."""

from __future__ import annotations

import datetime as dt

import pytest

from lake.errors import ModelsError, UsageError
from pipeline.models.planning import backfill, day_ranges, decide

D = dt.date.fromisoformat
START = D("2026-01-01")


def lake(*days: str, changed: tuple[str, ...] = ()) -> dict[dt.date, str]:
    """Lake days with fingerprint 'a' (or 'b' for the days in `changed`)."""
    return {D(d): ("b" if d in changed else "a") for d in days}


def plan(lake_days, computed, **kw):
    kw.setdefault("has_prod", True)
    kw.setdefault("project_changed", False)
    return decide(lake_days, computed, start=START, **kw)


def test_a_first_build_plans_every_day_and_restates_nothing():
    p = plan(lake("2026-01-01", "2026-01-02"), None, has_prod=False)
    assert (p.action, p.reason, p.as_of, p.previous_as_of) == ("plan", "first build", D("2026-01-02"), None)
    assert p.new_days == (D("2026-01-01"), D("2026-01-02")) and p.restate == ()


def test_an_unchanged_lake_is_a_run_with_nothing_to_restate():
    days = lake("2026-01-01", "2026-01-02")
    p = plan(days, days)
    assert (p.action, p.reason, p.new_days, p.restate) == ("run", "up to date", (), ())


def test_a_new_day_is_computed_by_the_run_not_restated():
    p = plan(lake("2026-01-01", "2026-01-02", "2026-01-03"), lake("2026-01-01", "2026-01-02"))
    assert (p.action, p.reason, p.new_days, p.restate) == ("run", "new snapshots", (D("2026-01-03"),), ())
    assert (p.as_of, p.previous_as_of) == (D("2026-01-03"), D("2026-01-02"))


def test_a_day_whose_content_changed_is_restated():
    computed = lake("2026-01-01", "2026-01-02", "2026-01-03")
    p = plan(lake("2026-01-01", "2026-01-02", "2026-01-03", changed=("2026-01-02",)), computed)
    assert p.mismatched_days == (D("2026-01-02"),)
    assert p.restate == ((D("2026-01-02"), D("2026-01-02")),)


def test_a_late_dump_for_a_gap_day_is_restated():
    p = plan(lake("2026-01-01", "2026-01-02", "2026-01-04"), lake("2026-01-01", "2026-01-04"))
    assert p.mismatched_days == (D("2026-01-02"),) and p.new_days == ()
    assert p.restate == ((D("2026-01-02"), D("2026-01-02")),)


def test_a_day_the_lake_no_longer_has_is_restated():
    p = plan(lake("2026-01-01", "2026-01-03"), lake("2026-01-01", "2026-01-02", "2026-01-03"))
    assert p.restate == ((D("2026-01-02"), D("2026-01-02")),)


def test_a_changed_project_plans_and_still_restates_the_mismatched_days():
    computed = lake("2026-01-01", "2026-01-02")
    p = plan(lake("2026-01-01", "2026-01-02", changed=("2026-01-01",)), computed, project_changed=True)
    assert (p.action, p.reason) == ("plan", "models changed")
    assert p.restate == ((D("2026-01-01"), D("2026-01-01")),)


def test_a_warehouse_without_a_record_restates_every_day_once():
    p = plan(lake("2026-01-01", "2026-01-02", "2026-01-05"), None)
    assert (p.action, p.reason, p.previous_as_of) == ("run", "no lake record", None)
    assert p.restate == ((D("2026-01-01"), D("2026-01-05")),)


def backfill_plan(lake_days, computed, first, last=None, **kw):
    kw.setdefault("has_prod", True)
    kw.setdefault("project_changed", False)
    return backfill(lake_days, computed, start=START, first=D(first), last=D(last) if last else None, **kw)


def test_a_backfill_restates_exactly_its_range_as_of_the_warehouse_not_the_new_days():
    days = lake("2026-01-01", "2026-01-02", "2026-01-03")
    p = backfill_plan(days | lake("2026-01-04", changed=("2026-01-02",)), days, "2026-01-02", "2026-01-02")
    assert (p.action, p.as_of, p.previous_as_of) == ("backfill", D("2026-01-03"), D("2026-01-03"))
    assert p.restate == ((D("2026-01-02"), D("2026-01-02")),) and p.restate_after == ()
    assert p.new_days == () and p.days_to_compute == [D("2026-01-02")]


def test_a_backfill_ends_by_default_on_the_warehouse_latest_day_and_names_changed_days():
    computed = lake("2026-01-01", "2026-01-02", "2026-01-03")
    p = backfill_plan(
        lake("2026-01-01", "2026-01-02", "2026-01-03", changed=("2026-01-03",)), computed, "2026-01-02"
    )
    assert p.restate == ((D("2026-01-02"), D("2026-01-03")),)
    assert p.mismatched_days == (D("2026-01-03"),)


@pytest.mark.parametrize(
    "first, last, message",
    [
        ("2026-01-03", "2026-01-02", "--start 2026-01-03 is after --end 2026-01-02"),
        ("2025-12-31", None, "--start 2025-12-31 is before the models' first day 2026-01-01"),
        (
            "2026-01-02",
            "2026-01-04",
            "--end 2026-01-04 is after the warehouse's latest computed day 2026-01-03",
        ),
    ],
)
def test_a_backfill_outside_the_computed_days_is_a_usage_error(first, last, message):
    days = lake("2026-01-01", "2026-01-02", "2026-01-03")
    with pytest.raises(UsageError, match=message):
        backfill_plan(days | lake("2026-01-04"), days, first, last)


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"has_prod": False}, "builds every lake day first"),
        ({"project_changed": True}, "applies the change first"),
        ({"interrupted": [D("2026-01-02")]}, r"left 1 day\(s\) half-computed \(2026-01-02..2026-01-02\)"),
    ],
)
def test_a_backfill_waits_for_the_models_job_when_it_would_compute_more_than_its_range(kw, message):
    days = lake("2026-01-01", "2026-01-02")
    with pytest.raises(ModelsError, match=message):
        backfill_plan(days, days, "2026-01-01", **kw)


def test_days_before_models_start_are_ignored_on_both_sides():
    p = plan({D("2025-12-30"): "x", **lake("2026-01-01")}, {D("2025-12-30"): "y", **lake("2026-01-01")})
    assert p.restate == () and p.mismatched_days == ()


def test_an_empty_lake_is_an_error_naming_models_start():
    with pytest.raises(ModelsError, match="models.start 2026-01-01"):
        plan({D("2025-12-30"): "x"}, None)


def test_gap_days_do_not_split_a_restate_range_and_many_ranges_merge_into_one():
    lake_days = [D("2026-01-01"), D("2026-01-02"), D("2026-01-04"), D("2026-01-05"), D("2026-01-07")]
    # 01-02 and 01-04 are neighbours in the lake (01-03 is a gap): one range
    assert day_ranges([D("2026-01-02"), D("2026-01-04")], lake_days) == [(D("2026-01-02"), D("2026-01-04"))]
    assert day_ranges([D("2026-01-01"), D("2026-01-05")], lake_days) == [
        (D("2026-01-01"), D("2026-01-01")),
        (D("2026-01-05"), D("2026-01-05")),
    ]
    many = [D(f"2026-02-{d:02d}") for d in (1, 3, 5, 7)]
    assert day_ranges(many, many + [D(f"2026-02-{d:02d}") for d in (2, 4, 6)]) == [(many[0], many[-1])]


def test_days_an_interrupted_run_had_begun_are_restated_whatever_their_fingerprints_say():
    """A killed restatement can leave some models on newer content than the record; when the lake
    goes back to the recorded content the fingerprints agree, yet the day must be recomputed."""
    days = lake("2026-01-01", "2026-01-02", "2026-01-03")
    p = plan(days, days, interrupted=[D("2026-01-02")])
    assert p.restate == ((D("2026-01-02"), D("2026-01-02")),) and p.restate_after == ()


def test_new_days_an_interrupted_run_had_begun_are_restated_after_the_run():
    computed = lake("2026-01-01", "2026-01-02")
    p = plan(
        lake("2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"), computed, interrupted=[D("2026-01-03")]
    )
    assert p.new_days == (D("2026-01-03"), D("2026-01-04")) and p.restate == ()
    assert p.restate_after == ((D("2026-01-03"), D("2026-01-03")),)
    assert p.days_to_compute == [D("2026-01-03"), D("2026-01-04")]


def test_an_interrupted_first_build_restates_what_it_had_begun_after_the_plan():
    p = plan(
        lake("2026-01-01", "2026-01-02"), None, has_prod=False, interrupted=[D("2026-01-01"), D("2026-02-01")]
    )
    assert (p.action, p.restate, p.restate_after) == ("plan", (), ((D("2026-01-01"), D("2026-01-01")),))
