"""`lakehouse demo-data`: write simulated daily mysqldumps (or lake partitions) for demos and tests."""

from __future__ import annotations

from typing import Any

from demo.generate import DEFAULT_START, generate_dumps, write_lake_direct
from demo.simulate import PROFILES
from lake.config import Config
from pipeline.cli import int_at_least, iso_date


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo-data",
        help="write simulated daily mysqldumps of the share-house PMS",
        description=(
            "Simulate the share-house PMS (applications, screening, contracts, move-ins, renewals, "
            "notices, move-outs, room transfers, deletions...) and write one MariaDB-mysqldump-format "
            "file per day, named by source.key_pattern, into a folder or an s3:// prefix. The same "
            "--seed and --start always give the same bytes; the first N days are the same whatever "
            "--days is."
        ),
        epilog=(
            "profiles: small = ~300 tenants, ~160 rooms, ~2.4 MB SQL a day (tests, the demo); "
            "realistic = ~28,000 tenants, ~12,000 rooms, ~250 MB SQL a day (~100 MB of it tenants). "
            "Example: lakehouse demo-data --profile small --days 30 --out var/dumps"
        ),
    )
    p.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="small",
        help="size of the simulated company (default: small)",
    )
    p.add_argument("--days", type=int_at_least(1), default=30, help="number of daily dumps (default: 30)")
    p.add_argument(
        "--start",
        type=iso_date,
        default=DEFAULT_START,
        help="first snapshot day YYYY-MM-DD (default: 2026-01-01, fixed so runs are reproducible)",
    )
    p.add_argument(
        "--seed", type=int_at_least(0), default=7, help="random seed of the simulation (default: 7)"
    )
    p.add_argument(
        "--out", default=None, help="folder or s3://bucket/prefix (default: source.root of the config)"
    )
    p.add_argument(
        "--workers", type=int_at_least(0), default=0, help="parallel processes (default: 0 = CPU count)"
    )
    p.add_argument(
        "--compress-level",
        type=int,
        choices=range(0, 10),
        default=1,
        metavar="0-9",
        help="gzip level for .gz keys (default: 1, ~10x faster than 6)",
    )
    p.add_argument(
        "--skip-extended-insert",
        action="store_true",
        help="one INSERT per row, like mysqldump --skip-extended-insert",
    )
    p.add_argument(
        "--complete-insert", action="store_true", help="column names in every INSERT, like mysqldump -c"
    )
    p.add_argument(
        "--direct-to-lake",
        action="store_true",
        help="write lake partitions (lake.root) straight from the simulation instead of dumps",
    )
    p.set_defaults(func=run)


def run(args: Any, config: Config) -> int:
    if args.direct_to_lake:
        report = write_lake_direct(config, args.start, args.days, profile=args.profile, seed=args.seed)
        print(f"[demo-data] {report.summary()}")
        return 0
    report = generate_dumps(
        config,
        args.out or config.source.root,
        args.start,
        args.days,
        profile=args.profile,
        seed=args.seed,
        workers=args.workers,
        extended_insert=not args.skip_extended_insert,
        complete_insert=args.complete_insert,
        compresslevel=args.compress_level,
    )
    print(f"[demo-data] {report.summary()}")
    return 0
