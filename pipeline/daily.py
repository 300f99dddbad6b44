"""The daily job: ingest new dumps -> SQLMesh models -> publish to Aurora, under one lock.

Order and failure rules (SPEC §6):

* the warehouse lock is taken first, so two runs never write the warehouse at once;
* when `warehouse.persist_uri` is set (ephemeral ECS/Glue tasks), the DuckDB warehouse is pulled
  from S3 before and pushed back after the models -- losing it only costs a rebuild from the lake;
* a failed dump stops the job before the models: nothing is published from a lake that is
  missing a day the operator expects (the days that did ingest are kept);
* replaced (corrected) days are restated by the models step; they stay recorded in the lake
  until that succeeded, so a crash in between does not forget them;
* publish runs only after every model and audit passed; it is atomic per table.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from lake.config import Config
from lake.restate import clear_pending, pending_days
from lake.storage import storage_for
from pipeline.lock import WarehouseLock

log = logging.getLogger(__name__)


class DailyJobError(RuntimeError):
    """A step failed; the message says which step and why."""


@dataclass
class DailyReport:
    steps: list[tuple[str, float, str]] = field(default_factory=list)
    published: bool = False

    def add(self, name: str, seconds: float, summary: str) -> None:
        self.steps.append((name, seconds, summary))
        log.info("%s done in %.1fs", name, seconds)

    def summary(self) -> str:
        lines = []
        for name, seconds, text in self.steps:
            lines.append(f"[{name}] {seconds:.1f}s")
            lines.extend("  " + line for line in text.strip().splitlines())
        return "\n".join(lines)


def pull_warehouse(config: Config) -> bool:
    """Fetch the persisted warehouse file; False when there is none yet (first run)."""
    uri = config.warehouse.persist_uri
    if not uri:
        return False
    storage = storage_for(uri, config)
    if storage.stat(uri) is None:
        log.info("no persisted warehouse at %s: the models will build from the lake", uri)
        return False
    os.makedirs(os.path.dirname(config.warehouse.path), exist_ok=True)
    storage.download_file(uri, config.warehouse.path)
    log.info("pulled warehouse %s -> %s", uri, config.warehouse.path)
    return True


def push_warehouse(config: Config) -> None:
    """Checkpoint the warehouse and upload it (one PUT: readers see old or new, never a mix)."""
    uri = config.warehouse.persist_uri
    if not uri or not os.path.exists(config.warehouse.path):
        return
    import duckdb

    con = duckdb.connect(config.warehouse.path)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    storage_for(uri, config).upload_file(config.warehouse.path, uri)
    log.info("pushed warehouse %s -> %s", config.warehouse.path, uri)


def _timed(report: DailyReport, name: str, fn: Any) -> Any:
    t0 = time.monotonic()
    result = fn()
    report.add(name, time.monotonic() - t0, result.summary() if hasattr(result, "summary") else str(result))
    return result


def run_daily(
    config: Config,
    publish: Optional[bool] = None,
    ingest_start: Any = None,
    ingest_end: Any = None,
) -> DailyReport:
    """Run ingest -> models -> publish. `publish=None` follows `publish.enabled`."""
    from loaders.ingest import ingest
    from pipeline.models import run_models

    do_publish = config.publish.enabled if publish is None else publish
    report = DailyReport()
    with WarehouseLock(config):
        pull_warehouse(config)
        ingested = _timed(report, "ingest", lambda: ingest(config, start=ingest_start, end=ingest_end))
        if not ingested.ok:
            failed = "; ".join(msg if uri in msg else f"{uri}: {msg}" for uri, msg in ingested.failures)
            raise DailyJobError(
                f"ingest failed for {len(ingested.failures)} dump(s), models and publish skipped: {failed}"
            )
        restate = pending_days(config)
        try:
            _timed(report, "models", lambda: run_models(config, restate_days=restate))
            clear_pending(config, restate)
        finally:
            push_warehouse(config)
        if do_publish:
            from publish.publisher import publish as publish_tables

            _timed(report, "publish", lambda: publish_tables(config))
            report.published = True
    return report
