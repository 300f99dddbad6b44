"""The analysts' read path: the lake's committed days and the marts, never the warehouse file.

* :func:`open_session` -- an in-memory DuckDB connection with views ``raw.tenants``,
  ``raw.rooms``, ``raw.apartments`` (committed lake days only), ``silver.*`` and ``gold.*`` (the
  committed marts version, lake/marts.py); httpfs from the wheel and the S3 secret of the
  config. It holds no file of the job open, so it never blocks ``lakehouse daily`` and is never
  blocked by it (the files it reads are content-named and kept for one version after they are
  replaced);
* :func:`scan` -- the same tables as polars LazyFrames (S3 options filled in), for notebooks;
* personal data (:data:`PII_COLUMNS`) is left out unless ``pii=True``, and that use is logged.

The lake's own access control (IAM on the bucket) is what protects the data; hiding
``full_name`` keeps it out of everyday queries, exports and screenshots.
"""

from __future__ import annotations

import getpass
import logging
import socket
from collections.abc import Mapping
from typing import Any, Optional

from lake.config import Config, load_config
from lake.marts import MART_TABLES, MartsManifest, mart_sql, read_marts

log = logging.getLogger("lakehouse.analysts")

RAW_TABLES = ("tenants", "rooms", "apartments")

#: columns holding personal data, hidden unless asked for
PII_COLUMNS: dict[str, tuple[str, ...]] = {
    "raw.tenants": ("full_name",),
    "silver.tenant_daily_snapshots": ("full_name",),
}


def table_names() -> list[str]:
    """Every table an analyst session offers."""
    return [f"raw.{t}" for t in RAW_TABLES] + list(MART_TABLES)


def log_pii_use(what: str) -> None:
    log.warning(
        "personal data visible (--pii) in %s, for %s@%s", what, getpass.getuser(), socket.gethostname()
    )


def view_sql(
    config: Config,
    table: str,
    pii: bool = False,
    manifest: Optional[MartsManifest] = None,
    days: Optional[Mapping[Any, Any]] = None,
) -> str:
    """The SELECT behind one analyst view (raises LookupError for marts not exported yet)."""
    from lake.manifest import table_sql

    if table.startswith("raw."):
        source = table_sql(config, table.split(".", 1)[1], days)
    else:
        source = mart_sql(config, table, manifest)
    hidden = () if pii else PII_COLUMNS.get(table, ())
    columns = f"* EXCLUDE ({', '.join(hidden)})" if hidden else "*"
    return f"SELECT {columns} FROM {source}"


def open_session(config: Optional[Config] = None, pii: bool = False) -> Any:
    """An in-memory DuckDB connection with the analyst views (see the module docstring).

    Tables whose marts do not exist yet (no models run has exported them) are left out, with a
    warning naming them.
    """
    from lake.connection import connect
    from lake.manifest import committed_days

    config = config or load_config()
    days = committed_days(config)
    manifest = read_marts(config)
    con = connect(config)
    missing = []
    try:
        for schema in ("raw", "silver", "gold", "reference"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in table_names():
            try:
                sql = view_sql(config, table, pii, manifest, days)
            except LookupError:
                missing.append(table)
                continue
            con.execute(f"CREATE OR REPLACE VIEW {table} AS {sql}")
    except BaseException:
        con.close()
        raise
    if missing:
        log.warning("not exported yet (the next models run writes them): %s", ", ".join(missing))
    if pii:
        log_pii_use("a DuckDB session")
    return con


def _polars_storage_options(config: Config) -> Optional[dict[str, str]]:
    from lake.s3 import is_s3, resolved_credentials

    if not is_s3(config.lake.root):
        return None
    s3 = config.s3
    opts = {"aws_region": s3.region}
    if s3.endpoint:
        opts["aws_endpoint_url"] = s3.endpoint
        if s3.endpoint.startswith("http://"):
            opts["aws_allow_http"] = "true"
    if s3.url_style == "path":
        opts["aws_virtual_hosted_style_request"] = "false"
    creds = resolved_credentials(s3)
    if creds:
        opts["aws_access_key_id"] = creds["key_id"]
        opts["aws_secret_access_key"] = creds["secret"]
        if "session_token" in creds:
            opts["aws_session_token"] = creds["session_token"]
    return opts


def scan(table: str, config: Optional[Config] = None, pii: bool = False) -> Any:
    """`table` (e.g. "gold.occupancy_daily_metrics", "raw.tenants") as a polars LazyFrame.

    Reads the same files as :func:`open_session`; S3 credentials come from boto3's chain.
    """
    import polars as pl

    from lake.manifest import committed_days, table_files
    from lake.schema import PARTITION_COLUMN

    config = config or load_config()
    if table not in table_names():
        raise LookupError(f"unknown table {table!r}: one of {', '.join(table_names())}")
    options = _polars_storage_options(config)
    hive = True
    if table.startswith("raw."):
        files = table_files(committed_days(config), table.split(".", 1)[1])
    else:
        manifest = read_marts(config)
        mart_sql(config, table, manifest)  # raises LookupError when not exported yet
        assert manifest is not None
        entry = manifest.tables[table]
        files, hive = entry["files"], bool(entry.get("days"))
    if not files:
        raise LookupError(f"{table} has no committed file yet")
    frame = pl.scan_parquet(
        files,
        hive_partitioning=hive,
        hive_schema={PARTITION_COLUMN: pl.Date} if hive else None,
        storage_options=options,
    )
    if hive:
        frame = frame.select(pl.col(PARTITION_COLUMN), pl.exclude(PARTITION_COLUMN))
    hidden = [] if pii else list(PII_COLUMNS.get(table, ()))
    if hidden:
        frame = frame.drop(hidden)
    elif table in PII_COLUMNS:
        log_pii_use(f"scan({table!r})")
    return frame
