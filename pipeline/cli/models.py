"""`lakehouse models`: bring the SQLMesh warehouse up to date with the lake, in a session."""

from __future__ import annotations

import click

from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import common_options


@click.command("models")
@click.option("--dry-run", is_flag=True, help="print what would be done, change nothing")
@common_options
def models_command(dry_run: bool) -> None:
    """Compute the silver/gold models from the lake (sqlmesh plan or run, plus restatements).

    `sqlmesh plan` on the first build or when the project changed, `sqlmesh run` otherwise,
    computed through the latest committed day of the lake. Every day whose lake content differs
    from what the warehouse computed it from is restated on its own. To recompute a range
    anyway: `lakehouse backfill --start D --end E`.
    """

    def body(config: Config) -> None:
        from pipeline.jobs import models_job

        print(models_job(config, dry_run=dry_run).summary())

    run_command(body)
