"""A deployment as production runs it: the lake and the persisted warehouse on S3 (SeaweedFS),
and every run of `lakehouse` an *ephemeral task* with its own empty disk.

`Deployment.run(task, *args)` runs the real CLI in a subprocess whose warehouse.path is
`<tmp>/<task>/warehouse.duckdb`, so a new task name means a fresh machine that must fetch the
persisted warehouse; the same name means the same disk again.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import duckdb
import pytest
import yaml

from lake.config import Config, load_config
from tests.conftest import REPO

LAKEHOUSE = [sys.executable, "-m", "pipeline.cli"]


@dataclasses.dataclass
class Deployment:
    root: Path
    config_file: Path
    config: Config

    def warehouse(self, task: str) -> str:
        return str(self.root / task / "warehouse.duckdb")

    def env(self, task: str, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
        env.update(LAKEHOUSE_CONFIG=str(self.config_file), LAKEHOUSE__WAREHOUSE__PATH=self.warehouse(task))
        env.update(extra)
        return env

    def start(self, task: str, *args: str, **extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*LAKEHOUSE, *args], env=self.env(task, **extra), cwd=str(self.root),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def run(self, task: str, *args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*LAKEHOUSE, *args], env=self.env(task, **extra), cwd=str(self.root),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def task_config(self, task: str) -> Config:
        return self.config.replace(
            warehouse=dataclasses.replace(self.config.warehouse, path=self.warehouse(task))
        )

    def query(self, path: str, sql: str) -> list[tuple]:
        con = duckdb.connect(path, read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def make_deployment(tmp_path: Path, **sections: Any) -> Deployment:
    data: dict[str, Any] = {
        "source": {"root": str(tmp_path / "dumps")},
        "ingest": {"workers": 1},
        "models": {"start": "2026-01-01"},
        "publish": {"enabled": False},
    }
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    (tmp_path / "dumps").mkdir(exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return Deployment(tmp_path, path, load_config(str(path), environ={}))


@pytest.fixture
def s3_deployment(tmp_path: Path, s3_server: Any) -> Iterator[Deployment]:
    """Lake on s3://lake/<prefix>, warehouse persisted at s3://state/<prefix>/warehouse.duckdb."""
    prefix = uuid.uuid4().hex[:10]
    yield make_deployment(
        tmp_path,
        lake={"root": f"s3://lake/{prefix}"},
        warehouse={"persist_uri": f"s3://state/{prefix}/warehouse.duckdb"},
        s3={"endpoint": s3_server.endpoint, "region": "us-east-1", "url_style": "path",
            "connect_timeout": 2, "read_timeout": 5, "max_attempts": 2},
    )  # fmt: skip


def table_rows(path: str, table: str, order: Optional[str] = None) -> list[tuple]:
    """Every row of a warehouse table, in a stable order (all columns)."""
    con = duckdb.connect(path, read_only=True)
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "updated_at"]
        return con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order or 'ALL'}").fetchall()
    finally:
        con.close()


#: the product's tables: what "the same result as a clean build" compares
PRODUCT_TABLES = (
    "silver.tenant_daily_snapshots",
    "silver.tenant_room_snapshot_daily",
    "silver.tenant_status_history",
    "gold.tenant_status_transitions",
    "gold.occupancy_daily_metrics",
)


def product_rows(path: str) -> dict[str, list[tuple]]:
    return {t: table_rows(path, t) for t in PRODUCT_TABLES}


__all__ = ["REPO", "Deployment", "make_deployment", "product_rows", "table_rows"]
