"""Shared fixtures: a real S3 server (SeaweedFS), the real MariaDB, and configs on tmp folders.

Every test session gets its own S3 server on free ports and its own MySQL database names,
so concurrent sessions on one machine never see each other's data.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lake.config import Config, load_config
from pipeline.devservices import SeaweedS3, ensure_mariadb

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def s3_server() -> Iterator[SeaweedS3]:
    """A SeaweedFS S3 server with buckets `lake` and `dumps`; AWS_* env points boto3 at it."""
    server = SeaweedS3(buckets=["lake", "dumps", "state"]).start()
    saved = {k: os.environ.get(k) for k in server.env()}
    os.environ.update(server.env())
    try:
        yield server
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def mysql_server() -> dict[str, Any]:
    """The local MariaDB (started when down); tests get their own database names."""
    if not ensure_mariadb():
        pytest.fail("MariaDB is not reachable at 127.0.0.1:3306 and could not be started")
    return {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


def _base_config(tmp_path: Any) -> Config:
    cfg = load_config(os.path.join(REPO, "config.yaml"), environ={})
    return cfg.replace(
        lake=dataclasses.replace(cfg.lake, root=str(tmp_path / "lake")),
        source=dataclasses.replace(
            cfg.source, root=str(tmp_path / "dumps"), legacy_csv_root=str(tmp_path / "legacy")
        ),
        warehouse=dataclasses.replace(cfg.warehouse, path=str(tmp_path / "warehouse.duckdb")),
    )


@pytest.fixture
def local_config(tmp_path: Any) -> Config:
    """The repo config with the lake, dumps and warehouse in this test's tmp folder."""
    return _base_config(tmp_path)


@pytest.fixture
def s3_config(tmp_path: Any, s3_server: SeaweedS3) -> Config:
    """The repo config with the lake and dumps on the test S3 server, under a fresh prefix."""
    cfg = _base_config(tmp_path)
    prefix = uuid.uuid4().hex[:10]
    return cfg.replace(
        lake=dataclasses.replace(cfg.lake, root=f"s3://lake/{prefix}"),
        source=dataclasses.replace(cfg.source, root=f"s3://dumps/{prefix}"),
        s3=dataclasses.replace(cfg.s3, endpoint=s3_server.endpoint, region="us-east-1", url_style="path"),
    )


@pytest.fixture
def mysql_config(local_config: Config, mysql_server: dict[str, Any]) -> Iterator[Config]:
    """Config whose MySQL databases are fresh and dropped afterwards."""
    import pymysql

    tag = uuid.uuid4().hex[:8]
    dbs = {"gold": f"t_{tag}_gold", "silver": f"t_{tag}_silver"}
    cfg = local_config.replace(
        mysql=dataclasses.replace(local_config.mysql, databases=dbs, log_database=dbs["gold"])
    )
    yield cfg
    con = pymysql.connect(host=mysql_server["host"], port=mysql_server["port"], user="root", password="")
    try:
        with con.cursor() as cur:
            for db in dbs.values():
                cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
    finally:
        con.close()
