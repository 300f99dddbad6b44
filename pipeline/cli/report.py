"""`lakehouse report`: (being built)."""

from __future__ import annotations

import click

from pipeline.cli.options import common_options


@click.command("report")
@common_options
def report_command() -> None:
    """(not built yet)"""
    raise click.UsageError("lakehouse report is not built yet")
