"""Run per-day load jobs (one dump or CSV each) in parallel processes, with progress and a report.

Parsing is CPU-bound Python, so a backfill uses processes, not threads: each worker loads whole
days on its own (its reader thread overlaps I/O and inflating with its parsing). Every day
succeeds or fails alone; a failed day is reported by its input and leaves its partitions and
manifest entry as they were.

Progress stays short (:class:`Progress`): a failed day is always printed, other days at most
one line every :data:`PROGRESS_SECONDS` (a daily run prints none; a 400-dump backfill about one
every 10 s); with debug logging (`lakehouse -v`) every day is logged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TextIO

from lake.config import Config
from lake.errors import LoadError
from lake.processes import die_with_parent_process
from lake.storage import StorageError

log = logging.getLogger("lakehouse.ingest")

#: at most one progress line per this many seconds (failed days are always printed)
PROGRESS_SECONDS = 10.0

WRITTEN = "written"
UNCHANGED = "unchanged"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass
class DayResult:
    """What happened to one input."""

    day: dt.date
    uri: str
    status: str
    replaced: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    raw_bytes: int = 0
    sql_bytes: int = 0
    seconds: float = 0.0
    message: str = ""


@dataclass
class IngestReport:
    """Outcome of `lakehouse ingest` / `import-legacy` (see docs/CONTRACTS.md)."""

    command: str
    results: list[DayResult] = field(default_factory=list)
    #: inputs that could not even be scheduled (bad date in a name, two dumps for a day)
    problems: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1

    @property
    def written_days(self) -> list[dt.date]:
        """Days whose partitions were written (new or replaced)."""
        return sorted(r.day for r in self.results if r.status == WRITTEN)

    @property
    def replaced_days(self) -> list[dt.date]:
        """Days that had data before and whose content changed: restate them downstream."""
        return sorted(r.day for r in self.results if r.status == WRITTEN and r.replaced)

    @property
    def failures(self) -> list[tuple[str, str]]:
        """(input URI, message) of every input that failed."""
        return self.problems + [(r.uri, r.message) for r in self.results if r.status == FAILED]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def rows(self) -> int:
        """Rows of the days written by this run."""
        return sum(sum(r.rows.values()) for r in self.results if r.status == WRITTEN)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def summary(self) -> str:
        raw = sum(r.raw_bytes for r in self.results) / 1e6
        sql = sum(r.sql_bytes for r in self.results) / 1e6
        secs = max(self.seconds, 1e-9)
        found = len(self.results) + len(self.problems)
        return (
            f"{self.command}: {found} input(s); {len(self.written_days)} day(s) written "
            f"({len(self.replaced_days)} replaced), {self.count(UNCHANGED)} unchanged, "
            f"{self.count(SKIPPED)} skipped, {len(self.failures)} failed; {self.rows:,} rows; "
            f"{raw:,.1f} MB read ({sql:,.1f} MB uncompressed) in {self.seconds:.1f} s "
            f"({sql / secs:,.1f} MB/s, {self.workers} worker(s))"
        )


def as_date(value: Any, what: str) -> Optional[dt.date]:
    """A --start/--end bound given as a date, an ISO string or None."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{what} must be a date YYYY-MM-DD, got {value!r}") from None


def resolve_workers(config: Config, workers: Optional[int]) -> int:
    n = config.ingest.workers if workers is None else workers
    if n < 0:
        raise ValueError(f"workers must be >= 0, got {n}")
    return n or (os.cpu_count() or 1)


def progress_line(command: str, done: int, total: int, r: DayResult) -> str:
    what = r.status if not r.replaced else f"{r.status} (replaced)"
    if r.status == FAILED:
        what = f"FAILED: {r.message}"
    size = f"{r.raw_bytes / 1e6:8.1f} MB" if r.raw_bytes else " " * 11
    name = r.uri.rsplit("/", 1)[-1]
    return f"{command} [{done:>{len(str(total))}}/{total}] {r.day} {name} {size} {r.seconds:6.1f} s  {what}"


class Progress:
    """One line per failed day, and a line now and then on long runs (see the module docstring)."""

    def __init__(self, command: str, total: int, stream: TextIO, every: float = PROGRESS_SECONDS) -> None:
        self.command, self.total, self.stream, self.every = command, total, stream, every
        self.done = 0
        self.last = time.monotonic()

    def report(self, r: DayResult) -> None:
        self.done += 1
        line = progress_line(self.command, self.done, self.total, r)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", line)
            return
        now = time.monotonic()
        if r.status == FAILED or now - self.last >= self.every:
            print(line, file=self.stream, flush=True)
            self.last = now


def run_jobs(
    command: str,
    job: Callable[[Config, Any, bool], DayResult],
    config: Config,
    items: list[Any],
    force: bool,
    workers: int,
    progress: Optional[TextIO] = None,
) -> list[DayResult]:
    """Run `job(config, item, force)` for every item, in `workers` processes when > 1."""
    total = len(items)
    results: list[DayResult] = []
    shown = Progress(command, total, sys.stderr if progress is None else progress)

    def report(r: DayResult) -> None:
        results.append(r)
        shown.report(r)

    if workers <= 1 or total <= 1:
        for item in items:
            report(job(config, item, force))
        return results
    # spawn: workers start clean (no inherited threads or open S3 connections)
    ctx = multiprocessing.get_context("spawn")
    pool_args = dict(mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),))
    pool = ProcessPoolExecutor(max_workers=min(workers, total), **pool_args)
    try:
        futures = {pool.submit(job, config, item, force): item for item in items}
        for fut in as_completed(futures):
            try:
                report(fut.result())
            except Exception as exc:  # the worker process died (killed, out of memory)
                item = futures[fut]
                report(DayResult(item_day(item), item_uri(item), FAILED, message=f"worker died: {exc}"))
    except BaseException:  # SIGTERM / Ctrl-C: stop now, not after the remaining days
        stop_workers(pool)
        raise
    pool.shutdown()
    return results


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued days and kill the running workers, so nothing writes after the lock is gone.

    A day killed mid-commit is safe (loaders/partitions.py): its old version stays committed.
    """
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):  # no public API for this
        with contextlib.suppress(Exception):
            proc.kill()


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: exit at once when the parent dies (even by kill -9).

    Otherwise an orphaned worker would keep writing to the lake outside the lock, and then
    block forever on a result queue nobody reads. Linux's PR_SET_PDEATHSIG does it at once; a
    watchdog thread polling the parent pid covers other systems and the thread-exit corner.
    """
    import threading

    die_with_parent_process()

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def item_day(item: Any) -> dt.date:
    return item[0].day


def item_uri(item: Any) -> str:
    return item[0].uri


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start


def run_and_report(
    command: str,
    job: Callable[[Config, Any, bool], DayResult],
    config: Config,
    todo: list[Any],
    settled: list[DayResult],
    problems: list[Any],
    clock: Stopwatch,
    force: bool,
    nworkers: int,
    progress: Any,
) -> IngestReport:
    """Run the pending jobs, merge them with the days settled without work, and report.

    Nothing is recorded for the models here: they compare each lake day's fingerprint with the
    one the warehouse computed it from (pipeline.planning), so a replaced day is recomputed even
    if this process dies right after committing it.
    """
    results = settled + run_jobs(command, job, config, todo, force, nworkers, progress)
    results.sort(key=lambda r: (r.day, r.uri))
    return IngestReport(command, results, problems, clock.seconds(), nworkers)


def failed_result(src: Any, started: float, exc: Exception) -> DayResult:
    """A FAILED day: expected errors keep their message (it names the input); others get it prefixed."""
    if isinstance(exc, (LoadError, StorageError)):
        message = str(exc)
    else:  # anything else still names the input, and the other days go on
        message = f"{src.uri}: {type(exc).__name__}: {exc}"
    return DayResult(src.day, src.uri, FAILED, seconds=time.perf_counter() - started, message=message)


def committed_result(src: Any, started: float, outcome: Any, raw_bytes: int, sql_bytes: int) -> DayResult:
    """The result of a day whose input parsed and whose partitions were committed (or left as they were)."""
    return DayResult(
        src.day,
        src.uri,
        WRITTEN if outcome.written else UNCHANGED,
        replaced=outcome.replaced,
        rows=outcome.rows,
        raw_bytes=raw_bytes,
        sql_bytes=sql_bytes,
        seconds=time.perf_counter() - started,
    )
