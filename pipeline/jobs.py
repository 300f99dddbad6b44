"""Every job that touches the lake or the warehouse, each in one warehouse session.

The command layer (pipeline/cli/) calls these and nothing below them, so no command can
bypass the lock or the fetch/persist of the warehouse (SPEC §6):

* :func:`ingest_job`, :func:`import_legacy_job` -- lake writes under the lock (the warehouse
  itself is neither fetched nor persisted: ingest does not touch it);
* :func:`models_job` -- the models, through the lake's latest day;
* :func:`backfill_job` -- recompute exactly the operator's range of days, nothing after;
* :func:`publish_job` -- reads the fetched warehouse, writes MySQL; never persists;
* :func:`sqlmesh_job` -- any SQLMesh CLI command, inside the session;
* the daily job is pipeline/daily.py.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from lake.config import Config
from pipeline.session import WarehouseSession
from pipeline.sqlmesh_env import sqlmesh_environment, start_child, stop_child


def ingest_job(config: Config, **options: Any) -> Any:
    """`loaders.ingest.ingest` under the lock; returns its IngestReport."""
    from loaders.ingest import ingest

    with WarehouseSession(config, "lakehouse ingest", fetch=False, writes=False):
        return ingest(config, **options)


def import_legacy_job(config: Config, **options: Any) -> Any:
    """`loaders.legacy.import_legacy` under the lock; returns its IngestReport."""
    from loaders.legacy import import_legacy

    with WarehouseSession(config, "lakehouse import-legacy", fetch=False, writes=False):
        return import_legacy(config, **options)


def compute_models(config: Config, session: WarehouseSession, dry_run: bool = False, **options: Any) -> Any:
    """The models in the session, then (unless a dry run) the analysts' marts from the result.

    Every successful models run exports the marts (lake/marts.py), so analysts never need the
    warehouse file. Returns the ModelsReport, with the marts summary in `marts`. On the spark
    gateway the marts are exported from a copy of the Spark tables (lake.spark.spark_tables).
    """
    from lake.marts import MART_TABLES, RECORD_TABLE, export_marts
    from pipeline.models import run_models

    report = run_models(config, dry_run=dry_run, session=session.id, **options)
    if dry_run:
        return report
    if config.models.gateway == "spark":
        from lake.spark import spark_tables

        with spark_tables(config, [*MART_TABLES, RECORD_TABLE]) as copied:
            report.marts = export_marts(copied, session=session.id).summary()
    else:
        report.marts = export_marts(config, session=session.id).summary()
    return report


def models_job(config: Config, dry_run: bool = False) -> Any:
    """The models in a session; returns the ModelsReport (persisted unless a dry run)."""
    with WarehouseSession(config, "lakehouse models", writes=not dry_run) as session:
        return compute_models(config, session, dry_run=dry_run)


def backfill_job(config: Config, start: dt.date, end: Optional[dt.date] = None, dry_run: bool = False) -> Any:
    """Recompute exactly start..end (default: the warehouse's latest day) in a session."""
    with WarehouseSession(config, "lakehouse backfill", writes=not dry_run) as session:
        return compute_models(config, session, dry_run=dry_run, backfill=(start, end))


def publish_job(config: Config, dry_run: bool = False, full_verify: bool = False) -> Any:
    """Publish the session's warehouse to MySQL; returns the PublishReport."""
    from publish.publisher import publish

    with WarehouseSession(config, "lakehouse publish", writes=False):
        return publish(config, dry_run=dry_run, full_verify=full_verify)


def sqlmesh_command() -> list[str]:
    """The `sqlmesh` CLI of this interpreter's environment."""
    script = Path(sys.executable).parent / "sqlmesh"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from sqlmesh.cli.main import cli; sys.exit(cli())"]


def sqlmesh_job(config: Config, args: Sequence[str]) -> int:
    """Run `sqlmesh <args>` in the project, inside a session; returns SQLMesh's exit code.

    The warehouse is persisted only when SQLMesh exits 0 (a failed plan leaves the persisted
    copy as it was).
    """
    with WarehouseSession(config, "lakehouse sqlmesh " + " ".join(args)[:60]) as session:
        with sqlmesh_environment(config, session.id) as env:
            proc = start_child([*sqlmesh_command(), *args], env)
            try:
                code = proc.wait()
            finally:
                stop_child(proc)
        if code != 0:
            session.discard()
        elif session.writes:
            from lake.marts import export_marts

            export_marts(config, session=session.id)
        return code
