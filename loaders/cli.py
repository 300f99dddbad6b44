"""`lakehouse ingest` and `lakehouse import-legacy`: the loaders' subcommands.

Progress goes to stderr (one line per input: done/total, MB, seconds), the summary to stdout.
Any failed input makes the command exit non-zero with one line naming every failed input;
the days that loaded are kept.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lake.config import Config
from lake.storage import StorageError
from lake.errors import LoadError
from loaders.runner import SKIPPED, IngestReport
from pipeline.cli import int_at_least, iso_date


def _common(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--start", type=iso_date, metavar="YYYY-MM-DD", help=f"first snapshot day of {what} to load"
    )
    p.add_argument("--end", type=iso_date, metavar="YYYY-MM-DD", help=f"last day of {what} to load")
    p.add_argument("--force", action="store_true", help="load even when the manifest says nothing changed")
    p.add_argument(
        "--workers",
        type=int_at_least(0),
        metavar="N",
        help="parallel processes (default: ingest.workers; 0 = number of CPUs)",
    )


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ingest",
        help="load new or changed daily dumps into the lake",
        description=(
            "Find dumps under source.root matching source.key_pattern, parse the new or changed "
            "ones and write their tenants/rooms/apartments partitions and manifest entries."
        ),
    )
    _common(p, "dumps")
    p.set_defaults(func=run_ingest)
    q = sub.add_parser(
        "import-legacy",
        help="import legacy snapshots/tenant_status/YYYYMMDD.csv files as tenants partitions",
        description=(
            "Import the CSVs under source.legacy_csv_root as tenants partitions (room and date "
            "columns NULL). Days with a dump-based partition are skipped unless --force."
        ),
    )
    _common(q, "CSVs")
    q.set_defaults(func=run_import_legacy)


def _finish(report: IngestReport) -> int:
    from pipeline.cli import CommandError

    for r in report.results:
        if r.status == SKIPPED:
            print(f"{report.command}: skipped {r.day} {r.uri}: {r.message}", file=sys.stderr)
    print(report.summary())
    if not report.ok:
        failed = report.failures
        detail = "; ".join(msg if uri in msg else f"{uri}: {msg}" for uri, msg in failed)
        raise CommandError(f"{len(failed)} input(s) failed (the other days were loaded): {detail}")
    return 0


def _check_range(args: Any) -> None:
    from pipeline.cli import CommandError

    if args.start and args.end and args.start > args.end:
        raise CommandError(f"--start {args.start} is after --end {args.end}")


def run_ingest(args: Any, config: Config) -> int:
    from loaders.ingest import ingest
    from pipeline.cli import CommandError
    from pipeline.lock import LockHeld, WarehouseLock

    _check_range(args)
    try:
        # the lock keeps a daily job's models from reading a day while it is being replaced
        with WarehouseLock(config, purpose="lakehouse ingest"):
            report = ingest(config, start=args.start, end=args.end, force=args.force, workers=args.workers)
    except (LoadError, StorageError, OSError, LockHeld) as exc:
        raise CommandError(str(exc)) from None
    return _finish(report)


def run_import_legacy(args: Any, config: Config) -> int:
    from loaders.legacy import import_legacy
    from pipeline.cli import CommandError
    from pipeline.lock import LockHeld, WarehouseLock

    _check_range(args)
    try:
        with WarehouseLock(config, purpose="lakehouse import-legacy"):
            report = import_legacy(
                config, start=args.start, end=args.end, force=args.force, workers=args.workers
            )
    except (LoadError, StorageError, OSError, LockHeld) as exc:
        raise CommandError(str(exc)) from None
    return _finish(report)
