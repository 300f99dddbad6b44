"""`lakehouse models`: bring the SQLMesh warehouse up to date with the lake.

Runs `sqlmesh plan` (auto-applied) on the first build or when the project changed, `sqlmesh
run` otherwise, always through the latest snapshot day of the lake, and restates the days
given with --restate-from/--restate-to (e.g. after re-ingesting corrected older dumps).
See pipeline/models.py and docs/MODELS.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lake.config import Config
from pipeline.cli import iso_date


def register(sub: Any) -> None:
    p = sub.add_parser(
        "models",
        help="compute the silver/gold models from the lake (sqlmesh plan or run, plus restatements)",
        description=(
            "Bring the DuckDB warehouse up to date with the lake: `sqlmesh plan` when the models "
            "changed or on the first build, `sqlmesh run` otherwise, computed through the latest "
            "snapshot day of the lake. --restate-from/--restate-to recompute an older range in every "
            "model (after re-ingesting corrected dumps)."
        ),
    )
    p.add_argument("--restate-from", type=iso_date, metavar="DATE", help="first snapshot day to recompute")
    p.add_argument(
        "--restate-to", type=iso_date, metavar="DATE", help="last snapshot day to recompute (default: latest)"
    )
    p.add_argument("--dry-run", action="store_true", help="print what would be done, change nothing")
    p.set_defaults(func=run)


def run(args: Any, config: Config) -> int:
    from lake.restate import clear_pending, pending_days
    from pipeline.cli import CommandError
    from pipeline.lock import LockHeld, WarehouseLock
    from pipeline.models import ModelsError, lake_days, run_models

    restate: list[dt.date] = []
    if args.restate_to and not args.restate_from:
        raise CommandError("--restate-to needs --restate-from")
    if args.restate_from:
        try:
            days = lake_days(config)
        except Exception as exc:
            raise CommandError(str(exc)) from None
        last = args.restate_to or (days[-1] if days else args.restate_from)
        if last < args.restate_from:
            raise CommandError(f"--restate-to {last} is before --restate-from {args.restate_from}")
        restate = [
            args.restate_from + dt.timedelta(days=i) for i in range((last - args.restate_from).days + 1)
        ]
    try:
        # the lock keeps a concurrent ingest from replacing a day while the models read it
        with WarehouseLock(config, purpose="lakehouse models"):
            # days replaced by an earlier `lakehouse ingest` are restated too, then cleared
            pending = pending_days(config)
            to_restate = sorted(set(restate) | set(pending))
            report = run_models(config, restate_days=to_restate, dry_run=args.dry_run)
            if not args.dry_run:
                clear_pending(config, pending)
    except (ModelsError, LockHeld) as exc:
        raise CommandError(str(exc)) from None
    print(report.summary())
    return 0
