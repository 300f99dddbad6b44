"""Benchmark: generate daily demo dumps (default: 30 days of the `realistic` profile).

Reports wall time, compressed and uncompressed bytes, throughput, the size of one dump's
``tenants`` section, and the machine load before/after (other work on the same CPUs skews the
figure: say so when quoting it). Optionally also times ``write_lake_direct`` for N days.

    .venv/bin/python bench/bench_demo_data.py                      # 30 realistic days, temp folder
    .venv/bin/python bench/bench_demo_data.py --days 5 --profile small --lake-days 400
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.generate import DEFAULT_START, generate_dumps, write_lake_direct  # noqa: E402
from lake.config import load_config  # noqa: E402


def section_bytes(path: str, table: str) -> int:
    """Bytes of one table's section (LOCK TABLES .. UNLOCK TABLES) in a dump, streamed."""
    start = f"LOCK TABLES `{table}` WRITE;".encode()
    inside, total = False, 0
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        for line in fh:
            if not inside and line.startswith(start):
                inside = True
            if inside:
                total += len(line)
                if line.startswith(b"UNLOCK TABLES;"):
                    break
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="realistic", choices=("small", "realistic"))
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--start", type=dt.date.fromisoformat, default=DEFAULT_START)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=0, help="0 = CPU count")
    ap.add_argument("--compress-level", type=int, default=1)
    ap.add_argument("--out", help="keep the dumps in this folder (default: a temp folder, deleted)")
    ap.add_argument("--lake-days", type=int, default=0, help="also time write_lake_direct for N days")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args(argv)

    config = load_config(environ={})
    tmp = None if args.out else tempfile.mkdtemp(prefix="bench-demo-")
    out = args.out or os.path.join(tmp, "dumps")  # type: ignore[arg-type]
    figures: dict[str, object] = {
        "profile": args.profile,
        "days": args.days,
        "workers": args.workers or os.cpu_count(),
        "cpus": os.cpu_count(),
        "compress_level": args.compress_level,
        "load_before": round(os.getloadavg()[0], 2),
    }
    try:
        t0 = time.monotonic()
        report = generate_dumps(
            config,
            out,
            args.start,
            args.days,
            profile=args.profile,
            seed=args.seed,
            workers=args.workers,
            compresslevel=args.compress_level,
        )
        wall = time.monotonic() - t0
        figures.update(
            seconds=round(wall, 1),
            bytes_gz=report.bytes,
            bytes_sql=report.raw_bytes,
            mb_per_s_sql=round(report.raw_bytes / wall / 1e6, 1),
            mb_per_s_gz=round(report.bytes / wall / 1e6, 1),
            seconds_per_day=round(wall / report.days, 2),
            sql_mb_per_dump=round(report.raw_bytes / report.days / 1e6, 1),
            gz_mb_per_dump=round(report.bytes / report.days / 1e6, 1),
            tenants_last_day=report.tenants,
            rooms_last_day=report.rooms,
            tenants_section_mb=round(section_bytes(report.files[-1], "tenants") / 1e6, 1),
            load_after=round(os.getloadavg()[0], 2),
        )
        print(report.summary())
        if args.lake_days:
            lake_root = os.path.join(tmp or out, "lake")
            cfg = config.replace(lake=dataclasses.replace(config.lake, root=lake_root))
            lake = write_lake_direct(cfg, args.start, args.lake_days, profile=args.profile, seed=args.seed)
            print(lake.summary())
            figures.update(
                lake_days=lake.days,
                lake_seconds=round(lake.seconds, 1),
                lake_rows=lake.rows,
                lake_bytes=lake.bytes,
            )
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
