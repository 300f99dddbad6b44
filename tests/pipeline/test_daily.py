"""The daily job end to end: demo dumps -> ingest -> SQLMesh -> MariaDB, against an independent oracle.

Expected KPI rows and history come from `tests/pipeline/oracle.py` (plain Python over the
generator's ground-truth rows), never from the model SQL.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
from decimal import Decimal

import duckdb
import pymysql
import pytest

from demo.generate import expected_snapshot, generate_dumps, render_dump_text
from pipeline.daily import run_daily
from tests.pipeline import oracle

START = dt.date(2026, 1, 1)
DAYS = 8
METRIC_COLS = [
    "snapshot_date", "applications", "new_moveins", "new_moveouts", "occupancy_delta",
    "period_start_rooms", "period_end_rooms", "total_rooms", "occupancy_rate", "is_projection",
    "as_of_snapshot_date",
]  # fmt: skip
HISTORY_COLS = ["tenant_id", "status", "contract_type", "payment_status", "valid_from", "valid_to"]
HISTORY_COLS += ["is_current", "days_in_status"]


def truth(days: list[dt.date], replace: dict[dt.date, dt.date] | None = None) -> dict:
    """Ground-truth rows per snapshot day; `replace` maps a day to the day whose rows its dump holds."""
    replace = replace or {}
    last = max(days + list(replace.values()))
    out = {}
    for day in days:
        src = replace.get(day, day)
        tables = expected_snapshot(START, src, days=(last - START).days + 1)
        out[day] = {name: t.to_pylist() for name, t in tables.items()}
    return out


def warehouse_rows(config, sql: str) -> list[dict]:
    con = duckdb.connect(config.warehouse.path, read_only=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def mysql_rows(config, sql: str) -> list[dict]:
    con = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with con.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        con.close()


def metrics_in_warehouse(config) -> list[dict]:
    return warehouse_rows(
        config, f"SELECT {', '.join(METRIC_COLS)} FROM gold.occupancy_daily_metrics ORDER BY snapshot_date"
    )


def metrics_in_mysql(config) -> list[dict]:
    db = config.mysql.databases["gold"]
    rows = mysql_rows(
        config, f"SELECT {', '.join(METRIC_COLS)} FROM `{db}`.occupancy_daily_metrics ORDER BY 1"
    )
    for r in rows:
        r["is_projection"] = bool(r["is_projection"])
        r["occupancy_rate"] = None if r["occupancy_rate"] is None else Decimal(r["occupancy_rate"])
    return rows


def history_in_warehouse(config) -> list[dict]:
    return warehouse_rows(
        config,
        f"SELECT {', '.join(HISTORY_COLS)} FROM silver.tenant_status_history ORDER BY tenant_id, valid_from",
    )


def expected_history(snapshots) -> list[dict]:
    return [{k: v[k] for k in HISTORY_COLS} for v in oracle.history(snapshots)]


@pytest.fixture
def config(mysql_config, tmp_path):
    os.makedirs(mysql_config.source.root, exist_ok=True)
    return mysql_config


def dump_path(config, day: dt.date) -> str:
    return os.path.join(config.source.root, config.source.key_pattern.format(date=day))


@pytest.mark.slow
def test_daily_job_end_to_end(config):
    days = [START + dt.timedelta(days=i) for i in range(DAYS)]
    generate_dumps(config, config.source.root, START, DAYS, profile="small")
    # a gap day: no dump on day 4, it must not appear as an actual row nor split versions
    gap = days[3]
    os.unlink(dump_path(config, gap))
    present = [d for d in days if d != gap]

    run_daily(config, publish=True)
    snaps = truth(present)
    expected = oracle.metrics(snaps)
    assert metrics_in_warehouse(config) == expected
    assert metrics_in_mysql(config) == expected
    assert history_in_warehouse(config) == expected_history(snaps)
    logged = mysql_rows(config, f"SELECT count(*) AS n FROM `{config.mysql.log_database}`.publish_log")[0][
        "n"
    ]
    assert logged >= 4

    # rerun with nothing new: the same rows everywhere
    run_daily(config, publish=True)
    assert metrics_in_mysql(config) == expected

    # a new day arrives: its actual row replaces the projection, the horizon moves
    new_day = START + dt.timedelta(days=DAYS)
    with open(dump_path(config, new_day), "wb") as fh:
        fh.write(gzip.compress(render_dump_text(START, new_day, days=DAYS + 1), 1))
    # and day 2's dump is corrected (its content replaced by day 3's rows): day 2 must be restated
    corrected = days[1]
    with open(dump_path(config, corrected), "wb") as fh:
        fh.write(gzip.compress(render_dump_text(START, days[2], days=DAYS + 1), 1))
    run_daily(config, publish=True)
    snaps = truth(present + [new_day], replace={corrected: days[2]})
    expected = oracle.metrics(snaps)
    assert metrics_in_warehouse(config) == expected
    assert metrics_in_mysql(config) == expected
    assert history_in_warehouse(config) == expected_history(snaps)


@pytest.mark.slow
def test_a_rejected_dump_does_not_hold_back_the_other_days(config):
    """SPEC §6: the run goes on without a rejected dump; the day keeps its last good version
    (or stays a gap), every other day is computed and published, and the job asks for a person."""
    days = [START + dt.timedelta(days=i) for i in range(5)]
    generate_dumps(config, config.source.root, START, 3, profile="small")
    run_daily(config, publish=True)

    def truncated(day: dt.date) -> bytes:
        data = gzip.compress(render_dump_text(START, day, days=5), 1)
        return data[: len(data) // 2]

    with open(dump_path(config, days[1]), "wb") as fh:  # a "correction" of day 2 that is broken
        fh.write(truncated(days[1]))
    with open(dump_path(config, days[3]), "wb") as fh:  # a new day 4 that is broken
        fh.write(truncated(days[3]))
    with open(dump_path(config, days[4]), "wb") as fh:  # a good new day 5
        fh.write(gzip.compress(render_dump_text(START, days[4], days=5), 1))
    report = run_daily(config, publish=True)

    assert report.needs_attention and report.published
    assert sorted(os.path.basename(uri) for uri, _ in report.rejected) == [
        "20260102.sql.gz",
        "20260104.sql.gz",
    ]
    assert "[attention] rejected" in report.summary()
    expected = oracle.metrics(truth([days[0], days[1], days[2], days[4]]))  # day 2 as before, day 4 a gap
    assert metrics_in_warehouse(config) == expected
    assert metrics_in_mysql(config) == expected
