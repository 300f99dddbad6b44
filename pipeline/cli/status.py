"""`lakehouse status`: (being built)."""

from __future__ import annotations

import click

from pipeline.cli.options import common_options


@click.command("status")
@common_options
def status_command() -> None:
    """(not built yet)"""
    raise click.UsageError("lakehouse status is not built yet")
