"""`lakehouse sql`: ad hoc SQL on the lake and the marts (pipeline/sql.py), never the warehouse."""

from __future__ import annotations

import sys
from typing import Optional

import click

from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import common_options


@click.command("sql")
@click.argument("query", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default="table",
    show_default=True,
    help="table on the terminal, or csv / json (an array) / parquet",
)
@click.option(
    "--out", metavar="FILE", help="write the result to FILE (a path or s3://...; needed for parquet)"
)
@click.option("--pii", is_flag=True, help="show personal data (full_name); the use is logged")
@click.option("--max-rows", type=click.IntRange(min=0), default=100, show_default=True,
              help="rows printed as a table (0 = all)")  # fmt: skip
@common_options
def sql_command(query: Optional[str], fmt: str, out: Optional[str], pii: bool, max_rows: int) -> None:
    """Query the lake and the models' tables with DuckDB: QUERY, or a prompt without one.

    Views: raw.tenants, raw.rooms, raw.apartments (the lake's committed days), silver.* and
    gold.* (the marts the latest models run exported to the lake). Read-only and in memory:
    it never opens the warehouse, so it answers while `lakehouse daily` runs and never blocks
    it. Works against an S3 lake from any machine with the config and S3 credentials.
    full_name is left out unless --pii.

    Without QUERY: an interactive prompt (statements end with `;`, history, .tables, .quit),
    or, when stdin is not a terminal, the statements read from it.

    \b
    Examples:
      lakehouse sql "FROM gold.occupancy_daily_metrics WHERE NOT is_projection ORDER BY 1 DESC LIMIT 7"
      lakehouse sql --format csv --out kpis.csv "FROM gold.occupancy_daily_metrics"
      lakehouse sql < queries.sql
    """

    def body(config: Config) -> None:
        from pipeline import sql

        if query is not None:
            sql.run_query(config, query, fmt=fmt, out=out, pii=pii, max_rows=max_rows)
        elif not sys.stdin.isatty():
            if out:
                raise click.UsageError("--out needs a QUERY")
            sql.run_script(config, sys.stdin.read(), fmt=fmt, pii=pii, max_rows=max_rows)
        else:
            sql.repl(config, pii=pii, max_rows=max_rows)

    run_command(body)
