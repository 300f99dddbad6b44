"""An unattended job must not let the dashboards go stale in silence: `source.max_age_days`."""

from __future__ import annotations

import dataclasses
import datetime as dt

from demo.generate import generate_dumps
from pipeline.daily import stale_input
from tests.pipeline.conftest import make_deployment
from tests.pipeline.test_daily import START

D = dt.date.fromisoformat


def with_limit(config, days):
    return config.replace(source=dataclasses.replace(config.source, max_age_days=days))


def test_a_dump_within_the_limit_is_fresh_and_no_limit_checks_nothing(local_config):
    cfg = with_limit(local_config, 1)
    assert stale_input(cfg, [D("2026-02-09"), D("2026-02-10")], today=D("2026-02-11")) == ""
    assert stale_input(local_config, [D("2020-01-01")], today=D("2026-02-11")) == ""  # null: no check


def test_a_newest_dump_older_than_the_limit_names_its_date_and_age(local_config):
    msg = stale_input(with_limit(local_config, 1), [D("2026-02-08"), D("2026-02-05")], today=D("2026-02-11"))
    assert "newest dump is dated 2026-02-08, 3 days before today (2026-02-11, Asia/Tokyo)" in msg
    assert "source.max_age_days is 1" in msg


def test_no_dump_at_all_names_the_source_and_the_pattern(local_config):
    msg = stale_input(with_limit(local_config, 2), [], today=D("2026-02-11"))
    assert local_config.source.root in msg and "{date:%Y%m%d}.sql.gz" in msg


def test_the_daily_job_does_its_work_and_exits_3_when_the_input_is_stale(tmp_path):
    dep = make_deployment(tmp_path, source={"max_age_days": 2})
    generate_dumps(dep.config, dep.config.source.root, START, 3, profile="small")
    proc = dep.run("task", "daily")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "[attention] the newest dump is dated 2026-01-03" in proc.stdout
    assert "models: plan (first build), as of 2026-01-03" in proc.stdout  # the work was done
