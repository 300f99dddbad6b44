"""`lakehouse status`: lake coverage, source freshness, the last ingest, models and publish."""

from __future__ import annotations

import click

from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import common_options


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="one JSON object with stable keys (for monitoring)")
@common_options
def status_command(as_json: bool) -> None:
    """Freshness and the last runs at a glance; exit 0 ok, 3 needs attention, 1 cannot tell.

    Reports the lake's committed days (first, last, gap days, corrected days), the newest dump
    against source.max_age_days, the last ingest, what the warehouse computed (from the marts
    manifest; the warehouse file is never opened), the last publish per MySQL table and its
    failures, and whether S3 and MySQL answer. Takes no lock and writes nothing, so it answers
    while `lakehouse daily` runs. Exit 3: the newest dump is too old, the warehouse is behind
    the lake, or the last publish failed or is older than the warehouse; exit 1: the lake, the
    source, S3 or MySQL could not be read.
    """

    def body(config: Config) -> int:
        from pipeline.status import collect_status

        status = collect_status(config)
        print(status.json_text() if as_json else status.text())
        return status.exit_code

    run_command(body)
