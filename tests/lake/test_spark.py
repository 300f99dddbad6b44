"""The spark gateway's session settings and its clear refusals (no pyspark, no Java).

The models on Spark themselves are tested against DuckDB in
tests/sqlmesh_project/test_spark_gateway.py (marker `spark`).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from lake.errors import ConfigError
from lake.spark import require_spark, spark_settings
from tests.conftest import REPO


def test_the_session_keeps_its_tables_and_catalog_where_the_config_says_in_utc(local_config, tmp_path):
    cfg = local_config.replace(
        spark=dataclasses.replace(
            local_config.spark,
            warehouse_dir=str(tmp_path / "wh"),
            metastore_dir=str(tmp_path / "ms"),
            conf={"spark.driver.memory": "3g", "spark.sql.session.timeZone": "UTC"},
        )
    )
    settings = spark_settings(cfg)
    assert settings["spark.sql.warehouse.dir"] == str(tmp_path / "wh")
    assert settings["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        f"jdbc:derby:;databaseName={tmp_path / 'ms'}/metastore_db;create=true"
    )
    assert settings["spark.sql.session.timeZone"] == "UTC"
    assert settings["spark.driver.memory"] == "3g"  # spark.conf is passed on
    assert settings["spark.master"] == "local[*]"
    assert "spark.master" not in spark_settings(cfg.replace(spark=dataclasses.replace(cfg.spark, master="")))
    assert not (tmp_path / "wh").exists()  # settings create nothing


def test_without_java_the_gateway_is_refused_naming_java(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(ConfigError, match="no Java runtime was found"):
        require_spark()


def test_without_pyspark_the_daily_job_stops_before_ingest_naming_the_extra(local_config, tmp_path):
    # a pyspark that cannot be imported, first on the path: as in an install without the extra
    fake = tmp_path / "shadow"
    (fake / "pyspark").mkdir(parents=True)
    (fake / "pyspark" / "__init__.py").write_text("raise ImportError('no pyspark here')\n")
    (tmp_path / "dumps").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"lake: {{root: {tmp_path / 'lake'}}}\nsource: {{root: {tmp_path / 'dumps'}}}\n"
        f"warehouse: {{path: {tmp_path / 'warehouse.duckdb'}}}\nmodels: {{gateway: spark}}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    env["PYTHONPATH"] = os.pathsep.join([str(fake), REPO])
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--config", str(config), "daily", "--no-publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "pyspark is not installed" in proc.stderr and "[spark]" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2, proc.stderr
    assert not (tmp_path / "lake").exists() and not (tmp_path / "warehouse.duckdb").exists()


def test_a_duckdb_run_never_imports_pyspark(local_config, tmp_path):
    # SQLMesh opens every gateway of its config: the spark gateway must not be there on DuckDB
    # (it would start a JVM on every run, and fail where the extra is not installed)
    from pipeline.sqlmesh_env import config_to_yaml
    from tests.sqlmesh_project import small_lake

    fake = tmp_path / "shadow"
    (fake / "pyspark").mkdir(parents=True)
    (fake / "pyspark" / "__init__.py").write_text("raise ImportError('pyspark was imported')\n")
    small_lake.write_initial(local_config)
    config = tmp_path / "config.yaml"
    config.write_text(config_to_yaml(local_config), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    env["PYTHONPATH"] = os.pathsep.join([str(fake), REPO])
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--config", str(config), "models"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "pyspark" not in proc.stderr
