"""The same SQLMesh models on the spark gateway give the DuckDB gateway's tables, row for row.

Two projects read one lake (the hand-worked small lake of small_lake.py, with apartments for
the breakdowns): one on the default gateway (DuckDB), one with ``models.gateway: spark``
(pyspark from the `spark` extra, a local Spark 3.5 on Java 17, its catalog in tmp_path). Both
run the real ``sqlmesh`` CLI through the same steps: the first build (the lake has a gap day,
05-03), a plain ``sqlmesh run`` for a new day, then the documented restatement of a corrected
day (05-02) and of the gap day's late dump (05-03). After each step every SPEC §4 / §4b table
(and the intermediate ones) must be equal: the Spark tables are copied out with the publish
code's own copy (lake.spark.copy_spark_tables, in a process of its own: the Derby catalog admits one
process at a time), every column compared but ``updated_at``, rates to 4 decimals. Finally
both are published to MariaDB with ``lakehouse publish``, and the MySQL tables must be equal.

Marker ``spark`` (CI runs it: ``make test``; 8–9 min here, most of it Spark's start-up and
planning). ``pytest -m spark`` installs the ``spark`` extra itself when pyspark is missing (as
``make spark`` does); Java 17 must be there (``make spark`` installs it from apt).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lake.spark import require_spark
from tests.conftest import REPO
from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.conftest import Project, make_project, metrics_rows
from tests.sqlmesh_project.lakefiles import commit_tables, write_day

pytestmark = [pytest.mark.spark]

#: every model's table, compared after each step
TABLES = (
    "reference.status_codes",
    "silver.tenant_daily_snapshots",
    "silver.tenant_room_snapshot_daily",
    "silver.tenant_status_history",
    "gold.tenant_status_transitions",
    "intermediate.occupancy_daily_actuals",
    "intermediate.occupancy_daily_projection",
    "gold.occupancy_daily_metrics",
    "intermediate.occupancy_group_daily_actuals",
    "intermediate.occupancy_group_daily_projection",
    "gold.occupancy_daily_metrics_by_area",
    "gold.occupancy_daily_metrics_by_apartment",
    "gold.occupancy_projection_accuracy",
    "intermediate.computed_lake_days",
)

APARTMENTS = [
    {"id": 100, "name": "Sakura House", "area": "Setagaya"},
    {"id": 200, "name": "Empty House", "area": " "},  # no rooms; an empty area is '(unknown)'
]

GAP_DAY = "2024-05-03"


def _write_apartments(project: Project, days: list[str]) -> None:
    for day in days:
        commit_tables(project.config, day, {"apartments": APARTMENTS})


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.0001")))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _columns(path: str, table: str) -> list[str]:
    con = duckdb.connect(path, read_only=True)
    try:
        rows = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ? ORDER BY ordinal_position",
            table.split("."),
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows if r[0] != "updated_at"]


def _rows(path: str, table: str, columns: list[str]) -> list[tuple]:
    con = duckdb.connect(path, read_only=True)
    try:
        rows = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
    finally:
        con.close()
    return sorted((tuple(_normalise(v) for v in r) for r in rows), key=repr)


def _copy_out_of_spark(project: Project, dest: Path) -> str:
    """The Spark tables as a DuckDB file, copied by publish's own copy in a child process."""
    path = str(dest)
    code = (
        "import sys; from lake.config import load_config; "
        "from lake.spark import copy_spark_tables; "
        "copy_spark_tables(load_config(sys.argv[1]), sys.argv[2], sys.argv[3:])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(project.config_file), path, *TABLES],
        env=project.env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"copying the Spark tables failed:\n{proc.stderr[-6000:]}")
    return path


def _assert_equal(step: str, duck: Project, spark: Project, tmp_path: Path) -> None:
    copy = _copy_out_of_spark(spark, tmp_path / f"spark-{step}.duckdb")
    for table in TABLES:
        duck_columns = _columns(duck.config.warehouse.path, table)
        # (Spark puts a partitioned table's time column last: the columns are compared by name)
        assert sorted(_columns(copy, table)) == sorted(duck_columns), f"{step}: {table} columns differ"
        duck_rows = _rows(duck.config.warehouse.path, table, duck_columns)
        spark_rows = _rows(copy, table, duck_columns)
        assert duck_rows, f"{step}: {table} is empty on DuckDB: the comparison would prove nothing"
        missing = [r for r in duck_rows if r not in spark_rows]
        extra = [r for r in spark_rows if r not in duck_rows]
        assert (missing, extra) == ([], []), (
            f"{step}: {table} differs (columns {duck_columns}):\n"
            f"only on DuckDB: {missing[:5]}\nonly on Spark: {extra[:5]}"
        )
        assert len(spark_rows) == len(duck_rows), f"{step}: {table} has duplicate rows on one side"


@pytest.fixture(scope="module", autouse=True)
def spark_extra() -> None:
    """pyspark (the `spark` extra, installed here when missing) and a Java runtime."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "-e",
                f"{REPO}[spark]",
                "-c",
                f"{REPO}/constraints.txt",
            ],
            check=True,
            timeout=1200,
        )
    require_spark()


@pytest.fixture
def projects(local_config, mysql_server, tmp_path):
    """(duckdb project, spark project) on one lake, each with its own MySQL databases."""
    made = []
    for gateway in ("duckdb", "spark"):
        tag = uuid.uuid4().hex[:8]
        dbs = {"gold": f"t_{tag}_gold", "silver": f"t_{tag}_silver"}
        cfg = local_config.replace(
            warehouse=dataclasses.replace(
                local_config.warehouse, path=str(tmp_path / gateway / "warehouse.duckdb")
            ),
            models=dataclasses.replace(local_config.models, gateway=gateway),
            spark=dataclasses.replace(
                local_config.spark,
                master="local[2]",
                warehouse_dir=str(tmp_path / gateway / "spark" / "warehouse"),
                metastore_dir=str(tmp_path / gateway / "spark" / "metastore"),
                conf={"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "2"},
            ),
            mysql=dataclasses.replace(local_config.mysql, databases=dbs, log_database=dbs["gold"]),
        )
        made.append(make_project(cfg, tmp_path / gateway))
    yield tuple(made)
    import pymysql

    con = pymysql.connect(host=mysql_server["host"], port=mysql_server["port"], user="root", password="")
    try:
        with con.cursor() as cur:
            for project in made:
                for db in project.config.mysql.databases.values():
                    cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
    finally:
        con.close()


def _mysql_tables(config) -> dict[str, list[tuple]]:
    import pymysql

    out = {}
    con = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with con.cursor() as cur:
            for schema, db in sorted(config.mysql.databases.items()):
                cur.execute(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                    "AND TABLE_NAME NOT LIKE 'publish%%'",
                    (db,),
                )
                for (table,) in cur.fetchall():
                    cur.execute(
                        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
                        "AND TABLE_NAME = %s AND COLUMN_NAME <> 'updated_at' ORDER BY ORDINAL_POSITION",
                        (db, table),
                    )
                    columns = ", ".join(f"`{r[0]}`" for r in cur.fetchall())
                    cur.execute(f"SELECT {columns} FROM `{db}`.`{table}`")
                    out[f"{schema}.{table}"] = sorted(
                        (tuple(_normalise(v) for v in r) for r in cur.fetchall()), key=repr
                    )
    finally:
        con.close()
    return out


def test_every_model_on_spark_equals_duckdb_through_a_new_day_a_corrected_day_and_a_late_gap_day(
    projects, tmp_path
):
    duck, spark = projects
    lake.write_initial(duck.config)  # one lake: both configs name the same lake root
    assert spark.config.lake.root == duck.config.lake.root
    _write_apartments(duck, list(lake.DAYS))

    # 1. the first build (plain `sqlmesh plan`: models.gateway picks the engine)
    for project in projects:
        project.sqlmesh("plan", "--auto-apply", "--no-prompts")
    # the DuckDB side is right by hand (small_lake.py), so equal means right
    assert metrics_rows(duck, "NOT is_projection") == lake.ACTUALS_INITIAL
    _assert_equal("first-build", duck, spark, tmp_path)

    # 2. a new day: a plain `sqlmesh run` computes it and moves the projection to T = 05-05
    lake.write_new_day(duck.config)
    _write_apartments(duck, [lake.NEW_DAY])
    for project in projects:
        assert lake.NEW_DAY in project.sqlmesh("run").stdout
    assert metrics_rows(duck, "NOT is_projection")[lake.NEW_DAY] == lake.ACTUAL_NEW_DAY
    _assert_equal("new-day", duck, spark, tmp_path)

    # 3. a corrected 05-02 and the late dump of the gap day 05-03: the documented restatement
    lake.write_corrected_day(duck.config)
    write_day(duck.config, GAP_DAY, lake.DAYS["2024-05-02"], lake.ROOMS)
    _write_apartments(duck, [GAP_DAY])
    for project in projects:
        project.sqlmesh(
            "plan",
            "--restate-model",
            "tag:lake",
            "--start",
            lake.CORRECTED_DAY,
            "--end",
            GAP_DAY,
            "--auto-apply",
            "--no-prompts",
        )
    actuals = metrics_rows(duck, "NOT is_projection")
    assert actuals[lake.CORRECTED_DAY] == lake.ACTUAL_CORRECTED_DAY
    assert GAP_DAY in actuals
    _assert_equal("restated", duck, spark, tmp_path)

    # 4. both published to MariaDB by the same publish code: the same tables and rows
    for project in projects:
        project.lakehouse("publish", check=True)
    published = {p.config.models.gateway: _mysql_tables(p.config) for p in projects}
    assert set(published["duckdb"]) >= {"gold.occupancy_daily_metrics", "silver.tenant_status_history"}
    assert published["spark"] == published["duckdb"]
