"""`lakehouse daily` (the production job) and `lakehouse demo` (the whole pipeline on demo data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lake.config import Config
from pipeline.cli import CommandError, iso_date


def register(sub: Any) -> None:
    p = sub.add_parser(
        "daily",
        help="the daily job: ingest new dumps -> sqlmesh run/plan -> publish to MySQL",
        description=(
            "Run the daily job under the warehouse lock: ingest new or changed dumps, run the SQLMesh "
            "models (restating days whose dumps were corrected), then publish to MySQL. Exits non-zero "
            "with one clear message on any failure; nothing is published unless every model and audit passed."
        ),
    )
    p.add_argument("--no-publish", action="store_true", help="stop after the models (no MySQL needed)")
    p.add_argument("--start", type=iso_date, help="ingest only dumps dated on/after this day")
    p.add_argument("--end", type=iso_date, help="ingest only dumps dated on/before this day")
    p.set_defaults(func=run_daily_cmd)

    d = sub.add_parser(
        "demo",
        help="generate demo dumps and run the whole pipeline locally, printing what it produced",
        description=(
            "Generate small demo dumps (if the source folder has none), then run the daily job on the "
            "local lake folder and DuckDB file, publish to the local MySQL/MariaDB when it is reachable "
            "(and say so when it is not), and print the KPIs, history rows and the published table."
        ),
    )
    d.add_argument("--days", type=int, default=30, help="days of demo dumps to generate (default 30)")
    d.add_argument(
        "--start", type=iso_date, default=dt.date(2026, 1, 1), help="first demo day (default 2026-01-01)"
    )
    d.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    d.set_defaults(func=run_demo_cmd)


def run_daily_cmd(args: Any, config: Config) -> int:
    from pipeline.daily import DailyJobError, run_daily
    from pipeline.lock import LockHeld

    try:
        report = run_daily(
            config, publish=False if args.no_publish else None, ingest_start=args.start, ingest_end=args.end
        )
    except (DailyJobError, LockHeld) as exc:
        raise CommandError(str(exc)) from None
    print(report.summary())
    return 0


def run_demo_cmd(args: Any, config: Config) -> int:
    from pipeline.demo import run_demo

    return run_demo(config, days=args.days, start=args.start, seed=args.seed)
