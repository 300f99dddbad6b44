"""Every command works in one warehouse session on an ephemeral task: lock, fetch the persisted
copy, work, persist a new version only after success, release (SPEC §6).

Real SeaweedFS S3, real `lakehouse`/`sqlmesh` processes; S3 faults injected with tests/s3proxy.py.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys

import pytest

from demo.generate import generate_dumps, render_dump_text
from lake.marts import read_marts
from lake.storage import storage_for
from pipeline.persist import pointer_uri, versions_prefix
from pipeline.sqlmesh_env import PROJECT_DIR
from tests.pipeline import oracle
from tests.pipeline.conftest import product_rows
from tests.pipeline.test_daily import START, metrics_in_warehouse, truth
from tests.s3proxy import S3Proxy

pytestmark = pytest.mark.slow
DAYS = [START + dt.timedelta(days=i) for i in range(4)]


def metrics(dep, task: str) -> list[dict]:
    return metrics_in_warehouse(dep.task_config(task))


def pointer(dep) -> dict:
    uri = pointer_uri(dep.config.warehouse.persist_uri)
    return json.loads(storage_for(uri, dep.config).read_bytes(uri))


def versions(dep) -> list[str]:
    prefix = versions_prefix(dep.config.warehouse.persist_uri)
    return sorted(o.uri for o in storage_for(prefix, dep.config).list(prefix))


def correct_day_2(dep) -> None:
    """Day 2's dump is corrected: it now holds day 3's rows."""
    path = os.path.join(dep.config.source.root, dep.config.source.key_pattern.format(date=DAYS[1]))
    with open(path, "wb") as fh:
        fh.write(gzip.compress(render_dump_text(START, DAYS[2], days=len(DAYS)), 1))


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture
def dep(s3_deployment):
    generate_dumps(s3_deployment.config, s3_deployment.config.source.root, START, len(DAYS), profile="small")
    return s3_deployment


def test_each_task_fetches_the_last_good_warehouse_and_persists_a_new_version(dep):
    ok(dep.run("task1", "ingest"))
    built = ok(dep.run("task1", "models"))
    assert "plan (first build)" in built.stdout
    first = pointer(dep)
    assert first["previous"] is None and versions(dep) == [first["uri"]]

    # a new task with an empty disk: it fetches the warehouse, so there is nothing to compute
    again = ok(dep.run("task2", "models"))
    assert "run (up to date)" in again.stdout and "nothing to compute" in again.stdout
    second = pointer(dep)
    assert second["previous"] == first["uri"] and versions(dep) == sorted([first["uri"], second["uri"]])

    # a third run keeps only the current version and the one before it (for a rollback)
    ok(dep.run("task3", "models"))
    third = pointer(dep)
    assert third["previous"] == second["uri"] and versions(dep) == sorted([second["uri"], third["uri"]])
    assert metrics(dep, "task3") == oracle.metrics(truth(DAYS))


def test_a_failed_upload_leaves_the_persisted_copy_and_the_next_task_restates(dep, s3_server):
    ok(dep.run("task1", "daily"))
    before = pointer(dep)
    correct_day_2(dep)
    with S3Proxy(s3_server.endpoint) as proxy:
        proxy.fail_puts(matching="-versions/")  # every upload of a new warehouse version fails
        failed = dep.run("task2", "daily", LAKEHOUSE__S3__ENDPOINT=proxy.endpoint)
        assert proxy.failed >= 1
    assert failed.returncode == 1, failed.stdout + failed.stderr
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("lakehouse daily: error:") and "-versions/" in last, failed.stderr
    assert pointer(dep) == before  # the last good copy is still the current one

    # the lake has the corrected day; a fresh task restates it from the last good warehouse
    fixed = ok(dep.run("task3", "daily"))
    assert "restated 2026-01-02" in fixed.stdout
    assert metrics(dep, "task3") == oracle.metrics(truth(DAYS, replace={DAYS[1]: DAYS[2]}))
    # and it equals a clean build from the same lake
    clean = ok(dep.run("clean", "models", LAKEHOUSE__WAREHOUSE__PERSIST_URI="null"))
    assert "first build" in clean.stdout
    assert product_rows(dep.warehouse("task3")) == product_rows(dep.warehouse("clean"))


def test_a_persisted_copy_that_cannot_be_opened_is_reported_and_rebuilt(dep):
    ok(dep.run("task1", "daily"))
    current = pointer(dep)
    storage = storage_for(current["uri"], dep.config)
    storage.write_bytes(current["uri"], b"not a duckdb file".ljust(current["size"], b"\0"))
    rebuilt = ok(dep.run("task2", "daily"))
    assert "cannot be used" in rebuilt.stderr and "rebuilding it from the lake" in rebuilt.stderr
    assert "first build" in rebuilt.stdout
    assert metrics(dep, "task2") == oracle.metrics(truth(DAYS))


def test_a_failed_models_run_persists_nothing(dep):
    ok(dep.run("task1", "daily"))
    before = pointer(dep)
    # a model that cannot run: the lake root moved to a prefix without any committed day
    bad = dep.run("task2", "models", LAKEHOUSE__LAKE__ROOT=dep.config.lake.root + "-elsewhere")
    assert bad.returncode == 1 and "no committed snapshot day" in bad.stderr
    assert pointer(dep) == before


def test_plain_sqlmesh_refuses_to_run_when_the_warehouse_is_persisted(dep):
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "sqlmesh"), "info"],
        cwd=str(PROJECT_DIR), env=dep.env("task1"), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "lakehouse sqlmesh" in proc.stdout + proc.stderr


def test_a_sqlmesh_command_through_the_session_is_persisted_and_survives_the_next_daily(dep):
    ok(dep.run("task1", "daily"))
    before = pointer(dep)
    marts_before = read_marts(dep.config)
    restate = ok(
        dep.run(
            "task2", "sqlmesh", "plan", "--restate-model", "tag:lake", "--start", "2026-01-02",
            "--end", "2026-01-02", "--auto-apply", "--no-prompts", "--execution-time", "2026-01-05",
        )
    )  # fmt: skip
    assert "silver.tenant_daily_snapshots" in restate.stdout
    # a successful SQLMesh command in the session exports the analysts' marts again
    assert read_marts(dep.config).session != marts_before.session
    ok(dep.run("task2", "sqlmesh", "plan", "dev", "--include-unmodified", "--auto-apply", "--no-prompts"))
    after = pointer(dep)
    assert after["uri"] != before["uri"]

    # the next daily on a fresh task starts from that warehouse: the dev environment is there
    # and the lake matches what the warehouse computed, so nothing is restated
    daily = ok(dep.run("task3", "daily"))
    assert "restated" not in daily.stdout and "up to date" in daily.stdout
    envs = ok(dep.run("task4", "sqlmesh", "environments"))
    assert "dev" in envs.stdout


def test_a_hung_s3_endpoint_fails_the_daily_job_within_the_configured_bound(dep, s3_server):
    ok(dep.run("task1", "ingest"))
    with S3Proxy(s3_server.endpoint) as proxy:
        proxy.hang()
        t0 = dt.datetime.now()
        proc = dep.run(
            "task2", "daily", LAKEHOUSE__S3__ENDPOINT=proxy.endpoint, LAKEHOUSE__S3__CONNECT_TIMEOUT="1",
            LAKEHOUSE__S3__READ_TIMEOUT="2", LAKEHOUSE__S3__MAX_ATTEMPTS="2", timeout=60,
        )  # fmt: skip
        seconds = (dt.datetime.now() - t0).total_seconds()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert proxy.endpoint in lines[0] and "not answering" in lines[0]
    assert seconds < 15, seconds  # 2 attempts x (1 s connect + 2 s read) plus start-up


def test_publish_and_models_on_an_ephemeral_task_work_and_persist(dep, mysql_config):
    m = mysql_config.mysql
    env = dict(
        LAKEHOUSE__MYSQL__DATABASES=json.dumps(m.databases),
        LAKEHOUSE__MYSQL__LOG_DATABASE=m.log_database,
        LAKEHOUSE__PUBLISH__ENABLED="true",
    )
    ok(dep.run("task1", "ingest"))
    ok(dep.run("task2", "models"))
    published = ok(dep.run("task3", "publish", **env))  # a fresh task: fetches, then publishes
    assert "occupancy_daily_metrics" in published.stdout
    import pymysql

    con = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with con.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM `{m.databases['gold']}`.occupancy_daily_metrics")
            assert cur.fetchone()[0] == len(oracle.metrics(truth(DAYS)))
    finally:
        con.close()
