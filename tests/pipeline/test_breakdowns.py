"""SPEC §4b end to end: demo dumps -> lakehouse daily -> the breakdowns and the projection
accuracy in the warehouse and in MariaDB, against the independent oracle (tests/pipeline/oracle.py),
with a gap day and then a corrected dump."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import os
from decimal import Decimal

import pytest

from demo.generate import generate_dumps, render_dump_text
from pipeline.daily import run_daily
from tests.pipeline import oracle
from tests.pipeline.test_daily import METRIC_COLS, START, dump_path, mysql_rows, truth, warehouse_rows

DAYS = [START + dt.timedelta(days=i) for i in range(7)]
KPIS = [c for c in METRIC_COLS if c != "snapshot_date"]
ACCURACY_COLS = [
    "as_of_snapshot_date", "snapshot_date", "horizon_days", "projected_period_end_rooms",
    "actual_period_end_rooms", "error_rooms", "projected_occupancy_rate", "actual_occupancy_rate",
    "error_rate",
]  # fmt: skip


def by_group(rows: list[dict], key: str) -> dict:
    out: dict = {}
    for r in rows:
        out.setdefault(r[key], []).append({c: r[c] for c in ["snapshot_date", *KPIS]})
    return {k: sorted(v, key=lambda r: r["snapshot_date"]) for k, v in out.items()}


def expected_groups(snaps: dict, kind: str) -> dict:
    return {
        k: [{c: r[c] for c in ["snapshot_date", *KPIS]} for r in rows]
        for k, rows in oracle.grouped_metrics(snaps, kind).items()
    }


def mysql_typed(rows: list[dict]) -> list[dict]:
    for r in rows:
        for k, v in r.items():
            if k == "is_projection":
                r[k] = bool(v)
            elif "rate" in k and v is not None:
                r[k] = Decimal(v)
    return rows


def check(config, snaps: dict) -> None:
    # the oracle side is not trivial: ten areas or more, every horizon that has an actual
    assert len(expected_groups(snaps, "area")) >= 10 and len(expected_groups(snaps, "apartment")) >= 15
    assert len(oracle.accuracy(snaps)) == len(snaps) * (len(snaps) - 1) // 2 > 10
    areas = warehouse_rows(
        config, f"SELECT area, snapshot_date, {', '.join(KPIS)} FROM gold.occupancy_daily_metrics_by_area"
    )
    assert by_group(areas, "area") == expected_groups(snaps, "area")
    apartments = warehouse_rows(
        config,
        f"SELECT apartment_id, snapshot_date, {', '.join(KPIS)} "
        "FROM gold.occupancy_daily_metrics_by_apartment",
    )
    assert by_group(apartments, "apartment_id") == expected_groups(snaps, "apartment")
    accuracy = warehouse_rows(
        config, f"SELECT {', '.join(ACCURACY_COLS)} FROM gold.occupancy_projection_accuracy ORDER BY 1, 2"
    )
    assert accuracy == oracle.accuracy(snaps)
    # and Aurora holds the same rows
    gold = config.mysql.databases["gold"]
    published = mysql_typed(
        mysql_rows(
            config,
            f"SELECT area, snapshot_date, {', '.join(KPIS)} FROM `{gold}`.occupancy_daily_metrics_by_area",
        )
    )
    assert by_group(published, "area") == expected_groups(snaps, "area")
    published = mysql_typed(
        mysql_rows(
            config,
            f"SELECT {', '.join(ACCURACY_COLS)} FROM `{gold}`.occupancy_projection_accuracy ORDER BY 1, 2",
        )
    )
    assert published == oracle.accuracy(snaps)


@pytest.mark.slow
def test_breakdowns_and_accuracy_match_the_oracle_through_a_gap_and_a_correction(mysql_config):
    # 3-day batches: the first build computes every incremental model in three queries (days
    # 1-3, 4-6, 7), so the rows must not depend on which batch computed them
    config = mysql_config.replace(models=dataclasses.replace(mysql_config.models, batch_days=3))
    os.makedirs(config.source.root, exist_ok=True)
    generate_dumps(config, config.source.root, START, len(DAYS), profile="small")
    gap = DAYS[3]
    os.unlink(dump_path(config, gap))
    present = [d for d in DAYS if d != gap]
    run_daily(config, publish=True)
    check(config, truth(present))

    # day 2's dump is corrected (it now holds day 5's rows): its rows and the accuracy rows of
    # the dates its projection covers change
    with open(dump_path(config, DAYS[1]), "wb") as fh:
        fh.write(gzip.compress(render_dump_text(START, DAYS[5], days=len(DAYS)), 1))
    run_daily(config, publish=True)
    check(config, truth(present, replace={DAYS[1]: DAYS[5]}))
