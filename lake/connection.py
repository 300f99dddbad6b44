"""The single factory for DuckDB connections on the lake.

Every DuckDB user (loaders' checks, benchmarks, analysts, tests) gets its connection here,
so httpfs is always loaded from the pip wheel and the S3 secret always matches the config.
"""

from __future__ import annotations

from typing import Any, Optional

import duckdb

from lake.config import Config, load_config
from lake.extensions import extension_directory
from lake.s3 import duckdb_secret_sql


def duckdb_settings(config: Config) -> dict[str, Any]:
    """DuckDB settings of every lakehouse connection (ours and SQLMesh's `connector_config`)."""
    settings: dict[str, Any] = {
        "extension_directory": extension_directory(),
        # never reach for extensions.duckdb.org: a locked-down VPC has no route to it
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
        # S3 reads of the lake (httpfs) are bounded like our boto3 calls (s3.* of the config)
        "http_timeout": config.s3.read_timeout,
        "http_retries": config.s3.max_attempts - 1,
    }
    if config.warehouse.memory_limit:
        settings["memory_limit"] = config.warehouse.memory_limit
    if config.warehouse.threads:
        settings["threads"] = config.warehouse.threads
    return settings


def connect(
    config: Optional[Config] = None, database: str = ":memory:", read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that can read and write the configured lake (local or S3).

    `database` may be a DuckDB file to open (read-only with `read_only=True`).
    """
    config = config or load_config()
    con = duckdb.connect(database, read_only=read_only, config=duckdb_settings(config))
    try:
        con.execute("LOAD httpfs")
        con.execute(duckdb_secret_sql(config))
    except Exception:
        con.close()
        raise
    return con
