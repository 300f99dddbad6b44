"""`lakehouse ingest` and `lakehouse import-legacy`: load inputs into the lake, under the lock.

Progress goes to stderr (one line per input: done/total, MB, seconds), the summary to stdout.
A rejected input is named on stderr and the command exits 3 (SPEC §6: done, but a person must
look); the days that loaded are kept, the rejected day keeps its last good version.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

import click

from lake.config import Config
from loaders.runner import SKIPPED
from pipeline.cli.errors import ATTENTION, OK, run_command
from pipeline.cli.options import check_range, common_options, date_range_options, workers_option


def finish(report: Any) -> int:
    """Print the report; ATTENTION when an input was rejected."""
    for r in report.results:
        if r.status == SKIPPED:
            print(f"lakehouse {report.command}: skipped {r.day} {r.uri}: {r.message}", file=sys.stderr)
    print(report.summary())
    for uri, msg in report.failures:
        what = msg if uri in msg else f"{uri}: {msg}"
        print(f"lakehouse {report.command}: rejected: {what}", file=sys.stderr)
    return ATTENTION if report.failures else OK


@click.command("ingest")
@date_range_options("dumps")
@click.option("--force", is_flag=True, help="load even when the manifest says nothing changed")
@workers_option
@common_options
def ingest_command(start: Any, end: Any, force: bool, workers: Optional[int]) -> None:
    """Load new or changed daily dumps into the lake.

    Finds the dumps under source.root matching source.key_pattern, parses the new or changed
    ones and commits each day (its tenants/rooms/apartments files, then its manifest entry) under
    the warehouse lock. Exit 3 when a dump was rejected (the other days still load).
    """
    check_range(start, end)

    def body(config: Config) -> int:
        from pipeline.jobs import ingest_job

        return finish(ingest_job(config, start=start, end=end, force=force, workers=workers))

    run_command(body)


@click.command("import-legacy")
@date_range_options("CSVs")
@click.option("--force", is_flag=True, help="import even over a day that has a dump-based partition")
@workers_option
@common_options
def import_legacy_command(start: Any, end: Any, force: bool, workers: Optional[int]) -> None:
    """Import legacy snapshots/tenant_status/YYYYMMDD.csv files as tenants days.

    The CSVs under source.legacy_csv_root become tenants partitions (room and date columns
    NULL). Days with a dump-based partition are skipped unless --force.
    """
    check_range(start, end)

    def body(config: Config) -> int:
        from pipeline.jobs import import_legacy_job

        return finish(import_legacy_job(config, start=start, end=end, force=force, workers=workers))

    run_command(body)
