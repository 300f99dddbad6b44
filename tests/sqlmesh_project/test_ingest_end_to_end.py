"""Demo dumps -> `loaders.ingest` -> `run_models` -> the warehouse, then a corrected dump.

The expected counts come from the demo simulation's own day snapshots
(`demo.generate.expected_snapshot`), not from the model SQL.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

ingest_mod = pytest.importorskip("loaders.ingest")
generate = pytest.importorskip("demo.generate")

from pipeline.models import run_models  # noqa: E402

START = dt.date(2024, 5, 1)
DAYS = 4


def _expected_tenants(day: dt.date, seed: int = 7) -> int:
    return generate.expected_snapshot(START, day, profile="small", seed=seed, days=DAYS)["tenants"].num_rows


def test_demo_dumps_ingested_then_modelled(project, tmp_path):
    cfg = project.config
    generate.generate_dumps(cfg, None, START, DAYS, profile="small", seed=7, workers=1)
    report = ingest_mod.ingest(cfg, workers=1)
    assert report.ok, report.failures
    days = [START + dt.timedelta(days=i) for i in range(DAYS)]
    assert report.written_days == days

    models = run_models(cfg)
    assert (models.action, models.as_of) == ("plan", days[-1])

    per_day = dict(
        project.query("SELECT snapshot_date, count(*) FROM silver.tenant_daily_snapshots GROUP BY 1")
    )
    assert per_day == {d: _expected_tenants(d) for d in days}
    assert project.query("SELECT count(*) FROM silver.tenant_status_history WHERE is_current") == [
        (_expected_tenants(days[-1]),)
    ]
    flags = project.query(
        "SELECT is_projection, count(*), min(snapshot_date), max(snapshot_date) "
        "FROM gold.occupancy_daily_metrics GROUP BY 1 ORDER BY 1"
    )
    assert flags == [
        (False, DAYS, days[0], days[-1]),
        (True, 10, days[-1] + dt.timedelta(days=1), days[-1] + dt.timedelta(days=10)),
    ]
    labels = project.query("SELECT count(*) FROM gold.tenant_status_transitions WHERE status_label IS NULL")
    assert labels == [(0,)]  # every demo status code has a label in the seed

    # a corrected dump for day 2 (here: the same day of another simulation) is re-ingested;
    # the ingest names it as replaced and the daily job restates it
    other = tmp_path / "other-dumps"
    generate.generate_dumps(cfg, str(other), START, 2, profile="small", seed=8, workers=1)
    name = days[1].strftime("%Y%m%d") + ".sql.gz"
    shutil.copyfile(other / name, Path(cfg.source.root) / name)
    again = ingest_mod.ingest(cfg, workers=1)
    assert again.ok, again.failures
    assert again.replaced_days == [days[1]]

    fixed = run_models(cfg)
    assert fixed.restated == [(days[1], days[1])]
    per_day = dict(
        project.query("SELECT snapshot_date, count(*) FROM silver.tenant_daily_snapshots GROUP BY 1")
    )
    assert per_day[days[1]] == _expected_tenants(days[1], seed=8)
    assert {d: n for d, n in per_day.items() if d != days[1]} == {
        d: _expected_tenants(d) for d in days if d != days[1]
    }
