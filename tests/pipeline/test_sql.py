"""`lakehouse sql` through the real CLI, on a small hand-worked lake (tests/sqlmesh_project/small_lake.py).

It reads only the lake and the marts: it answers while another process holds the live warehouse
open for writing, and `lakehouse daily` succeeds while an analyst session is open.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import pty
import select
import subprocess
import sys
import time

import duckdb
import pytest

from lake.analysts import open_session
from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.conftest import make_project

LAKEHOUSE = [sys.executable, "-m", "pipeline.cli"]
LATEST = "SELECT snapshot_date, period_end_rooms, occupancy_rate FROM gold.occupancy_daily_metrics "
LATEST += "WHERE NOT is_projection ORDER BY 1"


def no_publish(config):
    return config.replace(publish=dataclasses.replace(config.publish, enabled=False))


def run(project, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LAKEHOUSE, "--config", str(project.config_file), *args],
        env=project.env(), input=stdin, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture
def built(local_config, tmp_path):
    project = make_project(no_publish(local_config), tmp_path)
    lake.write_initial(project.config)
    assert run(project, "models").returncode == 0
    return project


def test_a_query_prints_a_table_and_csv_json_parquet_come_out_exact(built, tmp_path):
    table = run(built, "sql", LATEST)
    assert table.returncode == 0, table.stderr
    assert "2024-05-04" in table.stdout and "0.5000" in table.stdout and "│" in table.stdout

    as_csv = run(built, "sql", "--format", "csv", LATEST)
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [
        ["snapshot_date", "period_end_rooms", "occupancy_rate"],
        ["2024-05-01", "2", "0.5000"],
        ["2024-05-02", "3", "0.7500"],
        ["2024-05-04", "2", "0.5000"],
    ]
    out = tmp_path / "kpis.json"
    assert run(built, "sql", "--format", "json", "--out", str(out), LATEST).returncode == 0
    assert [(r["snapshot_date"], r["period_end_rooms"]) for r in json.loads(out.read_text())] == [
        ("2024-05-01", 2), ("2024-05-02", 3), ("2024-05-04", 2),
    ]  # fmt: skip
    parquet = tmp_path / "kpis.parquet"
    assert run(built, "sql", "--format", "parquet", "--out", str(parquet), LATEST).returncode == 0
    assert duckdb.sql(f"SELECT count(*), sum(period_end_rooms) FROM '{parquet}'").fetchone() == (3, 7)


def test_bad_input_is_one_message_and_exit_2(built, tmp_path):
    cases = {
        ("SELEC 1",): "Parser Error",
        ("SELECT * FROM gold.nope",): "Table with name nope does not exist",
        ("--format", "parquet", "SELECT 1"): "--format parquet needs --out FILE",
        ("--out", str(tmp_path / "x.csv"), "SELECT 1"): "--out needs --format csv, json or parquet",
    }
    for args, message in cases.items():
        proc = run(built, "sql", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and proc.stderr.count("\n") == 1, (args, proc.stderr)
    assert not (tmp_path / "x.csv").exists()


def test_names_are_hidden_unless_pii_and_the_use_is_logged(built):
    hidden = run(built, "sql", "SELECT * FROM silver.tenant_daily_snapshots WHERE tenant_id = 1 LIMIT 1")
    assert hidden.returncode == 0 and "入居者" not in hidden.stdout and "full_name" not in hidden.stdout
    assert run(built, "sql", "SELECT full_name FROM raw.tenants").returncode == 2
    shown = run(built, "sql", "--pii", "SELECT full_name FROM raw.tenants WHERE id = 1 LIMIT 1")
    assert shown.returncode == 0 and "入居者 1" in shown.stdout
    assert "personal data visible (--pii)" in shown.stderr


def test_statements_from_a_pipe_run_in_order(built):
    proc = run(built, "sql", "--format", "csv", stdin="SELECT 1 AS a; SELECT count(*) AS n FROM raw.rooms;")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["a", "1", "n", "15"]


def test_the_prompt_takes_multi_line_statements_and_keeps_going_after_an_error(built, tmp_path):
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*LAKEHOUSE, "--config", str(built.config_file), "sql"], stdin=slave, stdout=slave, stderr=slave,
        env={**built.env(), "HOME": str(tmp_path), "TERM": "dumb"}, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    output = b""

    def until(text: bytes, seconds: float = 60) -> None:
        nonlocal output
        deadline = time.monotonic() + seconds
        while text not in output:
            assert time.monotonic() < deadline, output.decode(errors="replace")
            if select.select([master], [], [], 0.5)[0]:
                try:
                    output += os.read(master, 65536)
                except OSError:
                    break

    try:
        until(b"lakehouse> ")
        for line in (".tables", "SELECT total_rooms", "FROM gold.occupancy_daily_metrics LIMIT 1;", "SELEC;"):
            os.write(master, line.encode() + b"\n")
        until(b"Parser Error")
        os.write(master, b"SELECT 41 + 1 AS answer;\n")
        until(b"42")
        os.write(master, b".quit\n")
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = output.decode(errors="replace")
    assert "gold.occupancy_daily_metrics" in text and "total_rooms" in text and "      ...> " in text
    assert (tmp_path / ".lakehouse_sql_history").exists()


def test_sql_answers_while_the_warehouse_is_held_open_for_writing(built):
    writer = duckdb.connect(built.config.warehouse.path)  # as a running models job does
    try:
        proc = run(built, "sql", "--format", "csv", LATEST)
    finally:
        writer.close()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "2024-05-04,2,0.5000"


def test_daily_succeeds_while_an_analyst_session_is_open(local_config, tmp_path):
    import datetime as dt

    from demo.generate import generate_dumps

    project = make_project(no_publish(local_config), tmp_path)
    source = project.config.source.root
    start = dt.date(2026, 1, 1)
    generate_dumps(project.config, source, start, 3, profile="small")
    assert run(project, "daily").returncode == 0
    con = open_session(project.config)
    try:
        before = con.execute(LATEST).fetchall()
        assert before[-1][0] == dt.date(2026, 1, 3)
        generate_dumps(project.config, source, start, 4, profile="small")  # the next morning's dump
        daily = run(project, "daily")
        assert daily.returncode == 0, daily.stderr
        assert "marts as of 2026-01-04" in daily.stdout
        # the open session keeps reading the version it started with (its files are kept)
        assert con.execute(LATEST).fetchall() == before
    finally:
        con.close()
    after = run(project, "sql", "--format", "csv", LATEST)
    assert after.stdout.splitlines()[-1].startswith("2026-01-04,")
