"""`lakehouse demo-data`: write simulated daily mysqldumps (or lake days) for demos and tests."""

from __future__ import annotations

from typing import Optional

import click

from demo.generate import DEFAULT_START, generate_dumps, write_lake_direct
from demo.simulate import PROFILES
from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import DATE, common_options


@click.command(
    "demo-data",
    epilog=(
        "Profiles: small = ~300 tenants, ~160 rooms, ~2.4 MB SQL a day (tests, the demo); "
        "realistic = ~28,000 tenants, ~12,000 rooms, ~250 MB SQL a day (~100 MB of it tenants).\n\n"
        "Example: lakehouse demo-data --profile small --days 30 --out var/dumps"
    ),
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="small",
    show_default=True,
    help="size of the simulated company",
)
@click.option(
    "--days", type=click.IntRange(min=1), default=30, show_default=True, help="number of daily dumps"
)
@click.option(
    "--start",
    type=DATE,
    default=DEFAULT_START.isoformat(),
    show_default=True,
    help="first snapshot day (fixed so runs are reproducible)",
)
@click.option("--seed", type=click.IntRange(min=0), default=7, show_default=True, help="simulation seed")
@click.option("--out", default=None, help="folder or s3://bucket/prefix (default: source.root)")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="parallel processes (0 = CPU count)",
)
@click.option(
    "--compress-level",
    type=click.IntRange(0, 9),
    default=1,
    show_default=True,
    help="gzip level for .gz keys (1 is ~10x faster than 6)",
)
@click.option(
    "--skip-extended-insert", is_flag=True, help="one INSERT per row, like mysqldump --skip-extended-insert"
)
@click.option("--complete-insert", is_flag=True, help="column names in every INSERT, like mysqldump -c")
@click.option(
    "--direct-to-lake",
    is_flag=True,
    help="commit lake days (lake.root) straight from the simulation instead of dumps",
)
@common_options
def demo_data_command(
    profile: str,
    days: int,
    start: object,
    seed: int,
    out: Optional[str],
    workers: int,
    compress_level: int,
    skip_extended_insert: bool,
    complete_insert: bool,
    direct_to_lake: bool,
) -> None:
    """Write simulated daily mysqldumps of the share-house PMS.

    Simulates applications, screening, contracts, move-ins, renewals, notices, move-outs, room
    transfers and deletions, and writes one MariaDB-mysqldump-format file per day, named by
    source.key_pattern, into a folder or an s3:// prefix. The same --seed and --start always
    give the same bytes; the first N days are the same whatever --days is.
    """

    def body(config: Config) -> None:
        if direct_to_lake:
            report = write_lake_direct(config, start, days, profile=profile, seed=seed)
        else:
            report = generate_dumps(
                config,
                out or config.source.root,
                start,
                days,
                profile=profile,
                seed=seed,
                workers=workers,
                extended_insert=not skip_extended_insert,
                complete_insert=complete_insert,
                compresslevel=compress_level,
            )
        print(f"[demo-data] {report.summary()}")

    run_command(body)
