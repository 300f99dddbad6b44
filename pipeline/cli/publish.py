"""`lakehouse publish`: push the warehouse's gold/silver tables to MySQL (or show what would change)."""

from __future__ import annotations

import click

from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import common_options


@click.command("publish")
@click.option("--dry-run", is_flag=True, help="show per table the rows that would change; write nothing")
@click.option(
    "--full-verify",
    is_flag=True,
    help="recompute every published day's checksum in MySQL (not the stored ones)",
)
@common_options
def publish_command(dry_run: bool, full_verify: bool) -> None:
    """Publish the gold/silver tables from the warehouse to MySQL (Aurora).

    gold.occupancy_daily_metrics, silver.tenant_status_history, gold.tenant_status_transitions
    and the last publish.snapshot_days days of silver.tenant_room_snapshot_daily go to the MySQL
    databases of mysql.databases, all in one transaction, verified (row count + checksum)
    against the warehouse and recorded in publish_log. Runs in a warehouse session (fetches the
    persisted warehouse on an ephemeral task). The password comes from $<mysql.password_env> or
    mysql.secret_arn, never from the config file.
    """

    def body(config: Config) -> None:
        from pipeline.jobs import publish_job

        print(publish_job(config, dry_run=dry_run, full_verify=full_verify).summary())

    run_command(body)
