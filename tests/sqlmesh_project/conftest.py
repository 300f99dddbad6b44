"""Fixtures for the SQLMesh project tests: a tmp config.yaml, the real `sqlmesh` CLI, queries.

Every test gets its own lake and warehouse under tmp_path and a config file pointing at them
(`LAKEHOUSE_CONFIG`), exactly as an operator runs `cd sqlmesh_project && sqlmesh plan`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import duckdb
import pytest

from lake.config import Config
from pipeline.sqlmesh_env import PROJECT_DIR, config_to_yaml

SQLMESH = str(Path(sys.executable).parent / "sqlmesh")


@dataclasses.dataclass
class Project:
    """One lake + warehouse + config file, and the commands an operator would run on them."""

    config: Config
    config_file: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE__")}
        env.update(
            LAKEHOUSE_CONFIG=str(self.config_file),
            SQLMESH__DISABLE_ANONYMIZED_ANALYTICS="1",
            COLUMNS="160",
        )
        env.update(extra)
        return env

    def sqlmesh(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        """Run the real `sqlmesh` CLI in sqlmesh_project/ (stdout and stderr merged)."""
        proc = subprocess.run(
            [SQLMESH, *args],
            cwd=str(PROJECT_DIR),
            env=self.env(**env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"sqlmesh {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-6000:]}")
        return proc

    def lakehouse(self, *args: str, check: bool = False, **env: str) -> subprocess.CompletedProcess:
        """Run the real `lakehouse` CLI on this project's config; `check`: fail the test unless it exits 0."""
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "--config", str(self.config_file), *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"lakehouse {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-6000:]}")
        return proc

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(self.config.warehouse.path, read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def make_project(base: Config, tmp_path: Path, start: dt.date = dt.date(2024, 5, 1), **kpi: Any) -> Project:
    cfg = base.replace(
        kpi=dataclasses.replace(base.kpi, **{"forward_days": 10, **kpi}),
        models=dataclasses.replace(base.models, start=start),
    )
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(config_to_yaml(cfg), encoding="utf-8")
    return Project(cfg, path)


@pytest.fixture
def project(local_config: Config, tmp_path: Path) -> Project:
    """A local lake and warehouse in tmp_path; forward_days 10, models from 2024-05-01."""
    return make_project(local_config, tmp_path)


@pytest.fixture
def s3_project(s3_config: Config, tmp_path: Path) -> Iterator[Project]:
    """The lake on the test S3 server (SeaweedFS), the warehouse in tmp_path."""
    yield make_project(s3_config, tmp_path)


def metrics_rows(project: Project, where: Optional[str] = None) -> dict[str, tuple]:
    """gold.occupancy_daily_metrics as {date: (applications, ..., total_rooms, rate)}."""
    rows = project.query(
        "SELECT snapshot_date, applications, new_moveins, new_moveouts, occupancy_delta, "
        "period_start_rooms, period_end_rooms, total_rooms, CAST(occupancy_rate AS VARCHAR) "
        "FROM gold.occupancy_daily_metrics" + (f" WHERE {where}" if where else "") + " ORDER BY 1"
    )
    return {r[0].isoformat(): tuple(r[1:]) for r in rows}


def history_rows(project: Project, where: str = "TRUE") -> list[tuple]:
    rows = project.query(
        "SELECT tenant_id, valid_from, version_number, status, contract_type, payment_status, valid_to, "
        f"is_current, days_in_status FROM silver.tenant_status_history WHERE {where} ORDER BY 1, 2"
    )
    return [
        (r[0], r[1].isoformat(), r[2], r[3], r[4], r[5], r[6].isoformat() if r[6] else None, r[7], r[8])
        for r in rows
    ]
