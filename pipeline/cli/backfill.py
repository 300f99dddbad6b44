"""`lakehouse backfill --start D [--end E]`: recompute exactly D..E in every model, in a session."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import click

from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import DATE, check_range, common_options


@click.command("backfill")
@click.option("--start", type=DATE, required=True, help="first snapshot day to recompute")
@click.option("--end", type=DATE, help="last snapshot day to recompute (default: the warehouse's latest day)")
@click.option("--dry-run", is_flag=True, help="print what would be recomputed, change nothing")
@common_options
def backfill_command(start: dt.date, end: Optional[dt.date], dry_run: bool) -> None:
    """Recompute the snapshot days START..END in every model reading the lake, and nothing after.

    The SQLMesh restatement `sqlmesh plan --restate-model tag:lake --start START --end END`
    (every model reading the lake and everything downstream; the days of the range exactly, the
    FULL history models rebuilt from them), run in the warehouse session as of the warehouse's
    latest computed day: lake days it has not computed yet stay for `lakehouse models`. Use it to
    recompute a range on demand (e.g. after a hand edit of warehouse tables, or to check that a
    range recomputes to the same values). Corrected dumps need no backfill: `lakehouse models`
    and `lakehouse daily` restate every day whose lake content changed.

    Refused (exit 2) for a range outside the computed days; refused (exit 1) while the project
    differs from the warehouse or an interrupted run is pending: `lakehouse models` first.
    """
    check_range(start, end)

    def body(config: Config) -> None:
        from pipeline.jobs import backfill_job

        print(backfill_job(config, start, end, dry_run=dry_run).summary())

    run_command(body)
