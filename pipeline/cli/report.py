"""`lakehouse report`: the occupancy KPIs as one self-contained HTML page (pipeline/report.py)."""

from __future__ import annotations

import click

from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import common_options


@click.command("report")
@click.option(
    "--out",
    metavar="FILE",
    default="report.html",
    show_default=True,
    help="where to write the page: a path (folders are created) or s3://bucket/key.html",
)
@common_options
def report_command(out: str) -> None:
    """Write the occupancy report: one HTML file with inline SVG charts, no script, no network.

    It shows the occupancy rate (actual days and the projection, the as-of day T marked),
    move-ins and move-outs per day, rooms, the tenants per status stage per snapshot day and
    the last 7 actual days; when the marts have them, the rate by area and the projection's
    error per horizon. The header gives T, the lake, the build time and T's occupancy rate.

    It reads the marts the latest models run exported to the lake (like `lakehouse sql`), never
    the warehouse: it neither waits for nor blocks `lakehouse daily`. Run `lakehouse models`
    (or `lakehouse daily`) first. Open the file in any browser, offline.

    \b
    Examples:
      lakehouse report                                   # ./report.html
      lakehouse report --out var/report.html && xdg-open var/report.html
      lakehouse report --out s3://acme-reports/occupancy/latest.html
    """

    def body(config: Config) -> None:
        from pipeline.report import report_job

        print(report_job(config, out).summary())

    run_command(body)
