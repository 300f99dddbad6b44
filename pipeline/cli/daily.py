"""`lakehouse daily` (the production job) and `lakehouse demo` (the whole pipeline on demo data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from lake.config import Config
from pipeline.cli.errors import ATTENTION, OK, run_command
from pipeline.cli.options import DATE, check_range, common_options


@click.command("daily")
@click.option("--no-publish", is_flag=True, help="stop after the models (no MySQL needed)")
@click.option("--start", type=DATE, help="ingest only dumps dated on/after this day")
@click.option("--end", type=DATE, help="ingest only dumps dated on/before this day")
@common_options
def daily_command(no_publish: bool, start: Any, end: Any) -> None:
    """The daily job: ingest new dumps -> sqlmesh run/plan -> publish to MySQL.

    Checks that S3 and MySQL answer, then in one warehouse session: ingests new or changed
    dumps, runs the SQLMesh models (restating every day whose lake content changed), persists
    the warehouse, and publishes to MySQL in one transaction. Exit 0 done, 1 failed (nothing
    published), 2 bad configuration, 3 done but a dump was rejected.
    """
    check_range(start, end)

    def body(config: Config) -> int:
        from pipeline.daily import run_daily

        report = run_daily(config, publish=False if no_publish else None, ingest_start=start, ingest_end=end)
        print(report.summary())
        return ATTENTION if report.needs_attention else OK

    run_command(body)


@click.command("demo")
@click.option(
    "--days", type=click.IntRange(min=1), default=30, show_default=True, help="days of demo dumps to generate"
)
@click.option("--start", type=DATE, default="2026-01-01", show_default=True, help="first demo day")
@click.option("--seed", type=click.IntRange(min=0), default=7, show_default=True, help="simulation seed")
@common_options
def demo_command(days: int, start: dt.date, seed: int) -> None:
    """Generate demo dumps and run the whole pipeline locally, printing what it produced.

    Generates small demo dumps (if the source folder has none), runs the daily job on the local
    lake folder and DuckDB file, publishes to the local MySQL/MariaDB when it is reachable (and
    says so when it is not), prints the KPIs, history rows and the published table, and writes
    the HTML report (`lakehouse report`) next to the warehouse: var/report.html.
    """

    def body(config: Config) -> int:
        import os

        from pipeline.demo import run_demo
        from pipeline.report import report_job

        code = run_demo(config, days=days, start=start, seed=seed)
        # next to the demo's other outputs: var/ holds the warehouse (and, by default, the lake)
        out = os.path.join(os.path.dirname(os.path.abspath(config.warehouse.path)), "report.html")
        report_job(config, out)
        shown = os.path.relpath(out)
        if shown.startswith(os.pardir):
            shown = out
        print(f"\nreport: {shown} (open it in a browser)")
        return code

    run_command(body)
