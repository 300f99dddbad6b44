"""The daily job: ingest new dumps -> SQLMesh models -> publish to Aurora, in one warehouse session.

Order and failure rules (SPEC §6, §7):

* S3 and MySQL are checked first (pipeline/preflight.py): one that does not answer stops the
  run in seconds, before anything changed;
* the warehouse session (pipeline/session.py) takes the lock and fetches the persisted copy;
* a rejected dump does not stop the run: its day keeps its last good version (or stays a gap),
  the other days go on, and the job ends with exit code 3 ("done, but look at this"); so does a
  newest dump older than ``source.max_age_days`` (or no dump at all) -- the job still does its
  work, but an unattended job must not let the dashboards go stale in silence;
* the models restate every day whose lake content differs from what the warehouse computed
  (pipeline/models/planning.py); their result is persisted as soon as they succeeded, so a
  failing publish does not throw the computation away;
* publish runs only after every model and audit passed, in one MySQL transaction for all
  tables (publish/); a failure leaves Aurora as it was and is logged in publish_log.
"""

from __future__ import annotations

import datetime as dt
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
    #: why the input is stale (source.max_age_days), or "" when it is fresh or not checked
    stale: str = ""

    @property
    def needs_attention(self) -> bool:
        return bool(self.rejected or self.stale)

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
        if self.stale:
            lines.append(f"[attention] {self.stale}")
        return "\n".join(lines)


def stale_input(config: Config, dump_days: list[dt.date], today: Optional[dt.date] = None) -> str:
    """Why the newest dump is too old for ``source.max_age_days`` ("" when fresh or unchecked).

    Days count in ``source.timezone`` (the calendar the dumps are dated in): a dump dated today
    there is 0 days old.
    """
    limit = config.source.max_age_days
    if limit is None:
        return ""
    if today is None:
        from zoneinfo import ZoneInfo

        today = dt.datetime.now(ZoneInfo(config.source.timezone)).date()
    if not dump_days:
        return (
            f"no dump found under {config.source.root} matching {config.source.key_pattern!r} "
            f"(source.max_age_days is {limit})"
        )
    newest = max(dump_days)
    age = (today - newest).days
    if age <= limit:
        return ""
    return (
        f"the newest dump is dated {newest}, {age} days before today ({today}, "
        f"{config.source.timezone}); source.max_age_days is {limit}"
    )


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
    from pipeline.jobs import compute_models
    from pipeline.models.runner import models_child

    do_publish = config.publish.enabled if publish is None else publish
    report = DailyReport()
    check_services(config, mysql=do_publish)
    with WarehouseSession(config, "lakehouse daily") as session:
        if session.fetched:
            report.add("warehouse", 0.0, session.fetched)
        # the SQLMesh child imports SQLMesh while the dumps are ingested (it reads nothing yet)
        with models_child(config, session.id) as child:
            ingested = _timed(report, "ingest", lambda: ingest(config, start=ingest_start, end=ingest_end))
            report.rejected = list(ingested.failures)
            report.stale = stale_input(config, [r.day for r in ingested.results])
            _timed(report, "models", lambda: compute_models(config, session, child=child))
        session.commit()
        if do_publish:
            from publish.publisher import publish as publish_tables

            _timed(report, "publish", lambda: publish_tables(config))
            report.published = True
    return report
