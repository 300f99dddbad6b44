"""SQLMesh configuration of the occupancy lakehouse, built from the one `config.yaml`.

Nothing here is a setting of its own: everything comes from :func:`lake.config.load_config`
(which honours ``$LAKEHOUSE_CONFIG`` and ``LAKEHOUSE__<SECTION>__<KEY>`` overrides), so
``cd sqlmesh_project && sqlmesh plan`` sees exactly the lake, warehouse and KPI settings the
``lakehouse`` CLI sees.

* gateway ``duckdb`` (the default, ``models.gateway``): the DuckDB file ``warehouse.path`` holds
  both the silver/gold tables and the SQLMesh state;
* gateway ``spark`` (``pip install '.[spark]'``, docs/SCALE_OUT.md), defined only with
  ``models.gateway: spark`` (SQLMesh starts every gateway it is given: a JVM on every DuckDB run
  otherwise): the same models on Apache Spark, its tables in ``spark.warehouse_dir``; its SQLMesh
  state stays in the DuckDB file ``warehouse.path`` (Spark cannot hold SQLMesh state). The
  gateway variable ``engine`` tells the macros which SQL to write where the engines differ
  (macros/engine.py);
* httpfs is loaded from the pip wheel (``lake.extensions``), never INSTALLed from the network;
* the S3 secret comes from ``lake.s3.duckdb_secret_options`` (boto3's credential chain), and
  only when the lake is on S3;
* SQLMesh variables: ``lake_root`` (used by the ``raw.*`` lake views and the ``lake_has_day``
  signal), the KPI code sets and horizons of SPEC §4, ``model_start``, and ``batch_days``
  (``models.batch_days``: the ``batch_size`` of every incremental model, so a first build of
  years of history runs them as year-long queries, docs/MODELS.md);
* model defaults: dialect duckdb, ``start`` = ``models.start`` (null: the lake's first committed
  day), ``cron`` = ``models.cron``, day intervals that may be partial (a dump dated today is
  computed today, not after the UTC day ends);
* with ``warehouse.persist_uri`` set, plain ``sqlmesh`` refuses to run outside a warehouse
  session (``lakehouse sqlmesh ...`` sets ``$LAKEHOUSE_SESSION``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# `sqlmesh` may be run from a checkout without the project installed (e.g. a bare venv): put the
# checkout's packages on the path. Installed from the wheel (SQLMesh then runs a copy of the
# project, see pipeline.sqlmesh_env.PROJECT_DIR), lake, pipeline, ... are importable already.
_REPO = Path(__file__).resolve().parent.parent
if (_REPO / "pyproject.toml").is_file() and str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from sqlmesh.core.config import (  # noqa: E402
    Config,
    DuckDBConnectionConfig,
    GatewayConfig,
    ModelDefaultsConfig,
    SparkConnectionConfig,
)

from lake.config import load_config  # noqa: E402
from lake.connection import duckdb_settings  # noqa: E402
from lake.errors import ConfigError  # noqa: E402
from lake.manifest import models_start  # noqa: E402
from lake.s3 import duckdb_secret_options, is_s3  # noqa: E402
from lake.spark import make_spark_dirs, require_spark, spark_settings  # noqa: E402

lakehouse = load_config()

# With a persisted warehouse (ephemeral tasks), only a warehouse session fetches the last good
# copy, holds the lock and persists the result: a plain `sqlmesh` here would work on a stale or
# missing local file and its work would be thrown away by the next run.
if lakehouse.warehouse.persist_uri and not os.environ.get("LAKEHOUSE_SESSION"):
    raise SystemExit(
        f"warehouse.persist_uri is set ({lakehouse.warehouse.persist_uri}): run SQLMesh through the "
        "warehouse session instead, e.g. `lakehouse sqlmesh plan` or `lakehouse sqlmesh run` "
        "(it takes the lock, fetches the persisted warehouse and persists the result)"
    )

# httpfs comes from the duckdb-extension-httpfs wheel; never reach extensions.duckdb.org
_connector = duckdb_settings(lakehouse)

# models.start, or the lake's first committed day (one listing of the manifest)
_start = models_start(lakehouse).isoformat()

_secrets: list = []
if is_s3(lakehouse.lake.root):
    _secrets.append(duckdb_secret_options(lakehouse))

if not is_s3(lakehouse.warehouse.path):
    os.makedirs(os.path.dirname(lakehouse.warehouse.path) or ".", exist_ok=True)
if lakehouse.models.gateway == "spark":
    try:
        require_spark()
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None
    make_spark_dirs(lakehouse)

# unit tests (`sqlmesh test`, and the tests a plan runs) never touch the warehouse
_test_connection = DuckDBConnectionConfig(connector_config={"autoinstall_known_extensions": False})


# SQLMesh opens an engine adapter for every gateway it is given, so the spark gateway (a JVM and a
# Spark session) is defined only when it is the one the models run on
_gateways = {
    "duckdb": GatewayConfig(
        connection=DuckDBConnectionConfig(
            database=lakehouse.warehouse.path,
            connector_config=_connector,
            secrets=_secrets,
            # independent models run side by side (e.g. the history rebuild next to the
            # incremental snapshots): DuckDB serves both from one database
            concurrent_tasks=2,
        ),
        test_connection=_test_connection,
        variables={"engine": "duckdb"},
    ),
}
if lakehouse.models.gateway == "spark":
    _gateways["spark"] = GatewayConfig(
        connection=SparkConnectionConfig(config=spark_settings(lakehouse), concurrent_tasks=2),
        state_connection=DuckDBConnectionConfig(database=lakehouse.warehouse.path, concurrent_tasks=2),
        test_connection=_test_connection,
        variables={"engine": "spark"},
    )

config = Config(
    gateways=_gateways,
    default_gateway=lakehouse.models.gateway,
    # no network calls: SQLMesh would otherwise try to send usage events to its vendor
    disable_anonymized_analytics=True,
    model_defaults=ModelDefaultsConfig(
        dialect="duckdb",
        start=_start,
        cron=lakehouse.models.cron,
        # a lake day is complete once its dump is committed, not when its UTC day ends: with
        # partial intervals allowed, plain `sqlmesh plan`/`run` compute a dump dated today the same
        # day (the lake_has_snapshot signal holds back any day the lake does not have yet)
        interval_unit="day",
        allow_partials=True,
    ),
    variables={
        "lake_root": lakehouse.lake.root,
        "model_start": _start,
        "occupied_status_codes": list(lakehouse.kpi.occupied_status_codes),
        "scheduled_status_codes": list(lakehouse.kpi.scheduled_status_codes),
        "forward_days": lakehouse.kpi.forward_days,
        "lookback_days": lakehouse.kpi.lookback_days,
        "batch_days": lakehouse.models.batch_days,
    },
    # (Re)create the raw.* views over the lake's committed days before every plan and run, so
    # models read the lake through names that unit tests can mock (macros/lake.py).
    before_all=[
        "CREATE SCHEMA IF NOT EXISTS raw",
        "@create_lake_view('tenants')",
        "@create_lake_view('rooms')",
        "@create_lake_view('apartments')",
        "@create_lake_days_view()",
    ],
)
