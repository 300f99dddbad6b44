"""The Spark session of the `spark` gateway (docs/SCALE_OUT.md), from the one config.

SQLMesh's Spark adapter builds its session from :func:`spark_settings` (sqlmesh_project/
config.py), and everything else that reads the Spark tables (publish, tests, analysts) opens
the same catalog with :func:`spark_session`, so the two never disagree on where the tables
are. pyspark is an optional extra (``pip install '.[spark]'``, Java 17): it is imported only
here, and only when a Spark session is asked for.

The readers of the warehouse (publish, the analysts' marts) read a DuckDB file: on this gateway
they read a copy of the Spark tables they need, made for their run by :func:`spark_tables`.

The local catalog is an embedded Derby database (``spark.metastore_dir``): one process at a
time may open it, so close a session (:func:`spark_session` is a context manager) before the
next ``sqlmesh`` command runs. On AWS Glue or EMR, ``spark.conf`` points the session at the
Glue Data Catalog instead and ``spark.master`` is left empty.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from lake.config import Config
from lake.errors import ConfigError

log = logging.getLogger(__name__)

#: Spark's log settings for our sessions: warnings, without the Hive metastore's noise about
#: Spark-only column types (TIMESTAMP_NTZ) and the embedded Derby catalog
LOG4J2_PROPERTIES = Path(__file__).with_name("spark-log4j2.properties")


def spark_settings(config: Config) -> dict[str, str]:
    """The Spark settings of the `spark` gateway: its tables, its catalog, UTC, Parquet."""
    spark = config.spark
    metastore = spark.metastore_dir
    settings = {
        "spark.app.name": "lakehouse-models",
        "spark.sql.warehouse.dir": spark.warehouse_dir,
        # the catalog SQLMesh's tables and views are registered in: a local Derby database
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore}/metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={metastore} -Dlog4j2.configurationFile=file:{LOG4J2_PROPERTIES}"
        ),
        # CREATE TABLE makes Parquet data-source tables (not Hive text tables)
        "spark.sql.legacy.createHiveTableByDefault": "false",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        # updated_at and every date are UTC, as on DuckDB
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    if spark.master:
        settings["spark.master"] = spark.master
    settings.update(spark.conf)
    return settings


def make_spark_dirs(config: Config) -> None:
    """The local folders of the Spark tables and catalog (Derby writes its log there)."""
    for path in (config.spark.warehouse_dir, config.spark.metastore_dir):
        if not path.startswith("s3://"):
            os.makedirs(path, exist_ok=True)


def require_spark() -> None:
    """Raise ConfigError unless pyspark and a Java runtime are there (the `spark` gateway's needs)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError(
            "models.gateway is spark but pyspark is not installed: pip install 'occupancy-lakehouse[spark]' "
            "(from a checkout: make spark, or pip install -e '.[spark]' -c constraints.txt)"
        ) from None
    java_home = os.environ.get("JAVA_HOME", "")
    java = os.path.join(java_home, "bin", "java")
    if not (java_home and os.access(java, os.X_OK)) and not shutil.which("java"):
        raise ConfigError(
            "models.gateway is spark but no Java runtime was found (JAVA_HOME or java on PATH): "
            "install Java 17, e.g. apt-get install openjdk-17-jre-headless"
        )


@contextlib.contextmanager
def spark_session(config: Config) -> Iterator[Any]:
    """A Spark session on the gateway's catalog; stopped (the catalog released) at the end."""
    require_spark()
    from pyspark.conf import SparkConf
    from pyspark.sql import SparkSession

    make_spark_dirs(config)
    conf = SparkConf()
    for key, value in spark_settings(config).items():
        conf.set(key, value)
    session = SparkSession.builder.config(conf=conf).enableHiveSupport().getOrCreate()
    try:
        yield session
    finally:
        session.stop()


#: in a copy made by :func:`copy_spark_tables`: each table's model version (the SQL of the
#: Spark view SQLMesh's virtual layer keeps for it, which names the physical table)
COPY_VERSIONS = "lakehouse_copy.versions"


def copy_spark_tables(config: Config, path: str, tables: Sequence[str]) -> list[str]:
    """Copy `tables` ("schema.name") that exist in the Spark catalog into the new DuckDB file `path`.

    With ``models.gateway: spark`` the silver and gold tables live in Spark's catalog, and the
    readers of the warehouse (publish, the analysts' marts) read a DuckDB file: one Spark session
    writes each table as Parquet into a folder next to `path`, DuckDB loads them, and the folder
    is deleted. Column types survive the trip: Spark's INT, BIGINT, DATE, DECIMAL(5,4), BOOLEAN,
    STRING and TIMESTAMP_NTZ are DuckDB's INTEGER, BIGINT, DATE, DECIMAL(5,4), BOOLEAN, VARCHAR
    and TIMESTAMP (a partitioned table's time column comes last: readers select by name). Each
    table's model version goes to :data:`COPY_VERSIONS`. Returns the tables copied.
    """
    started = time.monotonic()
    folder = path + ".parquet"
    copied: dict[str, str] = {}
    with spark_session(config) as spark:
        for table in tables:
            if not spark.catalog.tableExists(table):
                continue
            schema, name = table.split(".")
            spark.table(table).write.mode("overwrite").parquet(os.path.join(folder, schema, name))
            copied[table] = spark.sql(f"SHOW CREATE TABLE {table}").first()[0]
    con = duckdb.connect(path)
    try:
        for table in copied:
            schema, name = table.split(".")
            files = os.path.join(folder, schema, name, "*.parquet").replace("'", "''")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{files}')")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {COPY_VERSIONS.split('.')[0]}")
        con.execute(f"CREATE TABLE {COPY_VERSIONS} (table_name VARCHAR PRIMARY KEY, version VARCHAR)")
        con.executemany(f"INSERT INTO {COPY_VERSIONS} VALUES (?, ?)", list(copied.items()))
    finally:
        con.close()
    shutil.rmtree(folder, ignore_errors=True)
    log.info("copied %d table(s) out of Spark in %.1f s", len(copied), time.monotonic() - started)
    return list(copied)


@contextlib.contextmanager
def spark_tables(config: Config, tables: Sequence[str]) -> Iterator[Config]:
    """`config` reading a DuckDB copy of the Spark gateway's `tables`, deleted at the end.

    The copy's config is a DuckDB warehouse's (``models.gateway: duckdb``, no persisted copy),
    so the code that reads it runs as on the DuckDB gateway.
    """
    with tempfile.TemporaryDirectory(prefix="lakehouse-spark-tables-") as tmp:
        path = os.path.join(tmp, "warehouse.duckdb")
        copy_spark_tables(config, path, tables)
        yield config.replace(
            warehouse=dataclasses.replace(config.warehouse, path=path, persist_uri=None),
            models=dataclasses.replace(config.models, gateway="duckdb"),
        )
