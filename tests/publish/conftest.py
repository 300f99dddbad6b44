"""Fixtures for the publish tests: a config on fresh MySQL databases, a root connection and
helpers that read back what MySQL holds (independently of the publish code)."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from typing import Any, Optional

import pymysql
import pytest

from lake.config import Config
from publish import connection
from tests.conftest import REPO
from tests.publish.warehouses import COLUMNS, TABLES

SNAPSHOT_DAYS = 3


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "BACKOFF_SECONDS", 0.05)


@pytest.fixture
def pub_config(mysql_config: Config) -> Config:
    """Fresh gold/silver databases, a 3-day snapshot window, few retries."""
    return mysql_config.replace(
        publish=dataclasses.replace(mysql_config.publish, snapshot_days=SNAPSHOT_DAYS),
        mysql=dataclasses.replace(mysql_config.mysql, retries=2),
    )


@pytest.fixture
def root(mysql_server: dict[str, Any]) -> Iterator[Any]:
    con = pymysql.connect(
        host=mysql_server["host"], port=mysql_server["port"], user="root", password="",
        autocommit=True, charset="utf8mb4",
    )  # fmt: skip
    try:
        yield con
    finally:
        con.close()


def mysql_db(config: Config, name: str) -> tuple[str, str]:
    schema, table = name.split(".")
    return config.mysql.databases[schema], table


def read_table(con: Any, config: Config, name: str) -> Optional[set[tuple[Any, ...]]]:
    """The rows of a published table (in the warehouse's column order), None when it is absent."""
    db, table = mysql_db(config, name)
    with con.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s",
            (db, table),
        )
        if not cur.fetchone()[0]:
            return None
        cols = ", ".join(f"`{c}`" for c, _ in COLUMNS[name])
        cur.execute(f"SELECT {cols} FROM `{db}`.`{table}`")
        rows = cur.fetchall()
    out = set(rows)
    assert len(out) == len(rows), f"{name}: duplicate rows"
    return out


def read_all(con: Any, config: Config) -> dict[str, Optional[set[tuple[Any, ...]]]]:
    con.commit()  # a fresh snapshot for REPEATABLE READ readers
    return {name: read_table(con, config, name) for name in TABLES}


def tables_in(con: Any, database: str) -> list[str]:
    with con.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s", (database,))
        return sorted(r[0] for r in cur.fetchall())


def contents(con: Any, config: Config) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the test's databases (publish_log and state tables too)."""
    con.commit()  # a fresh snapshot for REPEATABLE READ readers
    out = {}
    with con.cursor() as cur:
        for db in sorted({*config.mysql.databases.values(), config.mysql.log_database}):
            for table in tables_in(con, db):
                cur.execute(f"SELECT * FROM `{db}`.`{table}`")
                out[f"{db}.{table}"] = sorted(cur.fetchall(), key=repr)
    return out


def staging_tables(con: Any, config: Config) -> list[str]:
    dbs = sorted({*config.mysql.databases.values(), config.mysql.log_database})
    return [f"{db}.{t}" for db in dbs for t in tables_in(con, db) if "__pub_" in t]


def assert_rolled_back(con: Any, config: Config, before: dict[str, list[tuple[Any, ...]]], why: str) -> None:
    """Every table holds exactly what it held `before`; publish_log gained one `failed` row
    whose message contains `why`; no staging table exists."""
    after = contents(con, config)
    log_table = f"{config.mysql.log_database}.publish_log"
    assert {k: v for k, v in after.items() if k != log_table} == {
        k: v for k, v in before.items() if k != log_table
    }
    old_log = set(before.get(log_table, []))
    assert old_log <= set(after[log_table])
    gained = [r for r in after[log_table] if r not in old_log]
    assert len(gained) == 1, gained
    # id, run_id, published_at, database_name, table_name, as_of_date, status, strategy, ..., message
    assert (gained[0][4], gained[0][6], gained[0][7]) == ("*", "failed", "-")
    assert why in gained[0][-1], gained[0][-1]
    assert staging_tables(con, config) == []


def cli_env(config: Config, **extra: str) -> dict[str, str]:
    """Environment that makes `lakehouse` use this test's warehouse and databases."""
    m = config.mysql
    databases = f"{{gold: {m.databases['gold']}, silver: {m.databases['silver']}}}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    env.update(
        {
            "LAKEHOUSE_CONFIG": os.path.join(REPO, "config.yaml"),
            "LAKEHOUSE__WAREHOUSE__PATH": config.warehouse.path,
            "LAKEHOUSE__MYSQL__DATABASES": databases,
            "LAKEHOUSE__MYSQL__LOG_DATABASE": m.log_database,
            "LAKEHOUSE__MYSQL__RETRIES": str(m.retries),
            "LAKEHOUSE__PUBLISH__SNAPSHOT_DAYS": str(config.publish.snapshot_days),
            "PYTHONPATH": REPO,
        }
    )
    env.update(extra)
    return env


LAKEHOUSE = [sys.executable, "-m", "pipeline.cli"]
