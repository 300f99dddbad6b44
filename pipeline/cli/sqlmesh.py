"""`lakehouse sqlmesh <args>`: any SQLMesh CLI command, inside a warehouse session."""

from __future__ import annotations

import click

from lake.config import Config
from pipeline.cli.errors import FAILED, OK, run_command
from pipeline.cli.options import common_options


@click.command(
    "sqlmesh",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    epilog=(
        "Examples:\n\n"
        "  lakehouse sqlmesh plan --restate-model tag:lake --start 2026-01-10 --end 2026-01-12 "
        "--auto-apply\n\n"
        '  lakehouse sqlmesh fetchdf "SELECT * FROM gold.occupancy_daily_metrics LIMIT 5"'
    ),
)
@common_options
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sqlmesh_command(args: tuple[str, ...]) -> None:
    """Run `sqlmesh ARGS...` on the project inside a warehouse session.

    Takes the warehouse lock, fetches the persisted warehouse (warehouse.persist_uri), runs the
    SQLMesh command in sqlmesh_project/ with this configuration, and persists the warehouse
    only if SQLMesh succeeded. With persist_uri set, plain `sqlmesh` refuses to run: its work
    would be lost or overwritten. Put options for lakehouse (-v, --config) before `sqlmesh`.
    """

    def body(config: Config) -> int:
        from pipeline.jobs import sqlmesh_job

        return OK if sqlmesh_job(config, list(args)) == 0 else FAILED

    run_command(body)
