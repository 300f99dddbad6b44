"""The daily job: ingest new dumps -> SQLMesh models -> publish to Aurora, in one warehouse session.

Order and failure rules (SPEC §6, §7):

* S3 and MySQL are checked first (pipeline/preflight.py): one that does not answer stops the
  run in seconds, before anything changed;
* the warehouse session (pipeline/session.py) takes the lock and fetches the persisted copy;
* a rejected dump does not stop the run: its day keeps its last good version (or stays a gap),
  the other days go on, and the job ends with exit code 3 ("done, but look at this");
* the models restate every day whose lake content differs from what the warehouse computed
  (pipeline/models/planning.py); their result is persisted as soon as they succeeded, so a
  failing publish does not throw the computation away;
* publish runs only after every model and audit passed, in one MySQL transaction for all
  tables (publish/); a failure leaves Aurora as it was and is logged in publish_log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from lake.config import Config
from pipeline.preflight import check_services
from pipeline.session import WarehouseSession

log = logging.getLogger(__name__)


@dataclass
class DailyReport:
    steps: list[tuple[str, float, str]] = field(default_factory=list)
    published: bool = False
    #: (input, message) of every dump that was rejected; the run went on without them
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(self.rejected)

    def add(self, name: str, seconds: float, summary: str) -> None:
        self.steps.append((name, seconds, summary))
        log.info("%s done in %.1fs", name, seconds)

    def summary(self) -> str:
        lines = []
        for name, seconds, text in self.steps:
            lines.append(f"[{name}] {seconds:.1f}s")
            lines.extend("  " + line for line in text.strip().splitlines())
        for uri, message in self.rejected:
            lines.append(f"[attention] rejected {message if uri in message else f'{uri}: {message}'}")
        return "\n".join(lines)


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
    check_services(config, mysql=do_publish)
    with WarehouseSession(config, "lakehouse daily") as session:
        if session.fetched:
            report.add("warehouse", 0.0, session.fetched)
        ingested = _timed(report, "ingest", lambda: ingest(config, start=ingest_start, end=ingest_end))
        report.rejected = list(ingested.failures)
        _timed(report, "models", lambda: run_models(config, session=session.id))
        session.commit()
        if do_publish:
            from publish.publisher import publish as publish_tables

            _timed(report, "publish", lambda: publish_tables(config))
            report.published = True
    return report
