"""`lakehouse`: the command layer -- one module per command, shared options, one error handler.

The commands parse options, call one job of :mod:`pipeline.jobs` / :mod:`pipeline.daily` and
print its report; nothing else. Library packages (lake, loaders, publish, demo) and the job
layer never import this package (a ruff banned-api rule enforces it).

* ``options`` -- ``--config``/``-v`` (before or after the command), dates, ranges, workers;
* ``errors`` -- exceptions -> one line and the exit codes of SPEC §6; SIGTERM handling;
* ``config``, ``demo_data``, ``ingest`` (also import-legacy), ``models``, ``backfill``,
  ``publish``, ``daily`` (also demo), ``sqlmesh``, ``sql``, ``status``, ``report`` -- the
  commands.
"""

from __future__ import annotations

import sys
from typing import Optional

import click

from pipeline.cli.backfill import backfill_command
from pipeline.cli.config import config_command
from pipeline.cli.daily import daily_command, demo_command
from pipeline.cli.demo_data import demo_data_command
from pipeline.cli.errors import install_signal_handlers, restore_signal_handlers
from pipeline.cli.ingest import import_legacy_command, ingest_command
from pipeline.cli.models import models_command
from pipeline.cli.options import common_options
from pipeline.cli.publish import publish_command
from pipeline.cli.report import report_command
from pipeline.cli.sql import sql_command
from pipeline.cli.sqlmesh import sqlmesh_command
from pipeline.cli.status import status_command


@click.group(
    "lakehouse",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog=(
        "Settings come from config.yaml (or $LAKEHOUSE_CONFIG; LAKEHOUSE__SECTION__KEY overrides a "
        "key); `lakehouse config` shows them. Exit codes: 0 done, 1 failed, 2 bad configuration or "
        "usage, 3 done but something needs a person (a rejected dump)."
    ),
)
@common_options
def cli() -> None:
    """DuckDB/Parquet lakehouse for occupancy analytics.

    Daily mysqldumps -> Parquet lake -> SQLMesh models (status history, transitions, occupancy
    KPIs with projections) -> Aurora MySQL.
    """


for _command in (
    config_command,
    demo_data_command,
    ingest_command,
    import_legacy_command,
    models_command,
    backfill_command,
    publish_command,
    daily_command,
    demo_command,
    sqlmesh_command,
    sql_command,
    status_command,
    report_command,
):
    cli.add_command(_command)


def main(argv: Optional[list[str]] = None) -> int:
    """Run one command; returns its exit code (usage errors: 2, with click's message).

    The signal handlers are the command's: they are put back as they were when it returns (a
    caller running several commands in one process, e.g. tests, keeps its own).
    """
    previous = install_signal_handlers()
    try:
        code = cli.main(args=argv, prog_name="lakehouse", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        print("lakehouse: aborted", file=sys.stderr)
        return 130
    finally:
        restore_signal_handlers(previous)
    return code if isinstance(code, int) else 0


def run() -> None:
    """The console script `lakehouse`."""
    sys.exit(main())
