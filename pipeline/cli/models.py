"""`lakehouse models`: bring the SQLMesh warehouse up to date with the lake, in a session."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import DATE, check_range, common_options


@click.command("models")
@click.option("--restate-from", type=DATE, help="first snapshot day to recompute in every model")
@click.option("--restate-to", type=DATE, help="last snapshot day to recompute (default: the latest)")
@click.option("--dry-run", is_flag=True, help="print what would be done, change nothing")
@common_options
def models_command(restate_from: Any, restate_to: Any, dry_run: bool) -> None:
    """Compute the silver/gold models from the lake (sqlmesh plan or run, plus restatements).

    `sqlmesh plan` on the first build or when the project changed, `sqlmesh run` otherwise,
    computed through the latest committed day of the lake. Every day whose lake content differs
    from what the warehouse computed it from is restated on its own; --restate-from/--restate-to
    recompute a range on top (e.g. after a seed edit that only affects old days).
    """
    if restate_to and not restate_from:
        raise click.UsageError("--restate-to needs --restate-from")
    check_range(restate_from, restate_to, "--restate-from/--restate-to")

    def body(config: Config) -> None:
        from lake.manifest import as_of_date, committed_days
        from pipeline.jobs import models_job

        restate: list[dt.date] = []
        if restate_from:
            last = restate_to or as_of_date(committed_days(config)) or restate_from
            restate = [restate_from + dt.timedelta(days=i) for i in range((last - restate_from).days + 1)]
        print(models_job(config, restate_days=restate, dry_run=dry_run).summary())

    run_command(body)
