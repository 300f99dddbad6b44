"""Benchmark of the whole daily job (`lakehouse daily`) at 400 and at 100 days of history.

    .venv/bin/python bench/bench_daily.py [--days 400] [--short-days 100] [--runs 3]
                                          [--workdir DIR] [--markdown FILE] [--json FILE]

What a production morning does, end to end, on this machine: one new realistic dump (~28k
tenants, ~12k rooms, ~45 MB gzip) is ingested into a lake holding --days days, the SQLMesh models
run, the analysts' marts are exported and the tables are published to MySQL (MariaDB here) in one
transaction. Each daily job is the real CLI (`python -m pipeline.cli daily`) in a process of its
own; its wall time, its steps (from its summary) and the peak RSS of the job and of its
children (ingest workers, the SQLMesh child) are recorded. The --days and the --short-days lakes
run alternately (same new-day positions in the same simulation), median of --runs.

Set-up (not timed): the lakes are hard links to one simulated lake
(`bench_models.stage_lake`, `demo.generate.write_lake_direct`), each warehouse is first built
(`run_models`) and first published (`publish`) into MySQL databases of its own
(`bench_daily_<days>_gold` / `_silver`, dropped at the end unless --keep), and the dumps of the
new days are rendered by the demo generator (`demo.generate.DayRenderer`, the same simulation,
gzip level 6 like mysqldump | gzip).

Same-run baseline (--seed-baseline-repeat, default 1 run; 0 skips it): right after the --days
warehouse is built, the seed's history rebuild (`bench_seed_baseline.history_baseline`: the
lake's snapshots bulk-loaded into MariaDB, the LAG/LEAD rebuild as dbt `materialized='table'`
runs it, its versions checked equal to the product's) on the same lake; the daily job and the
first build are reported as fractions of it. The first publish is reported in rows/s.

Targets (SPEC issue "speed"): the daily job <= 5 s at 400 days (<= 1/8 of the baseline),
400/100 days <= 1.1, peak RSS <= 1.5 GB. The script exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_models  # noqa: E402
from bench_publish import drop_databases  # noqa: E402
from bench_seed_baseline import DATABASE as SEED_DATABASE  # noqa: E402
from bench_seed_baseline import history_baseline  # noqa: E402

from lake.config import Config  # noqa: E402

START = bench_models.START
TARGET_SECONDS = 5.0
TARGET_RATIO = 1.1
TARGET_RSS_MB = 1536


def config_for(workdir: Path, days: int) -> Config:
    """The lake, warehouse, dumps folder and MySQL databases of the `days`-day set-up."""
    root = workdir / f"history-{days}"
    base = bench_models.config_for(root)
    dbs = {"gold": f"bench_daily_{days}_gold", "silver": f"bench_daily_{days}_silver"}
    return base.replace(
        source=dataclasses.replace(base.source, root=str(root / "dumps"), max_age_days=None),
        mysql=dataclasses.replace(base.mysql, databases=dbs, log_database=dbs["gold"]),
    )


def write_dumps(cfg: Config, days: int, runs: int) -> list[Path]:
    """The dumps of days `days` .. `days + runs - 1` of the simulation (gzip level 6)."""
    from demo.generate import DayRenderer, DumpOptions
    from demo.simulate import simulate

    sim = simulate(START, days + runs, "realistic", 7)
    renderer = DayRenderer(sim, cfg, DumpOptions())
    out = Path(cfg.source.root)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(runs):
        day = START + dt.timedelta(days=days + i)
        path = out / cfg.source.key_pattern.format(date=day)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            with gzip.open(tmp, "wb", compresslevel=6) as f:
                for chunk in renderer.chunks(day):
                    f.write(chunk)
            tmp.rename(path)
        paths.append(path)
    return paths


@dataclasses.dataclass
class Prepared:
    cfg: Config
    cfg_file: Path
    #: the new days' dumps, set aside
    dumps: list[Path]
    #: the first build of every model and the marts' first export / the first publish
    first_build_seconds: float
    first_publish_seconds: float
    first_publish_rows: int


def prepare(staging: Config, workdir: Path, days: int, runs: int) -> Prepared:
    """A `days`-day lake, its warehouse built and published, and the new days' dumps set aside."""
    from lake.marts import export_marts
    from pipeline.models import run_models
    from pipeline.sqlmesh_env import config_to_yaml
    from publish.publisher import publish

    cfg = config_for(workdir, days)
    bench_models.make_lake(staging, Path(cfg.lake.root).parent, days)
    root = Path(cfg.lake.root).parent
    pending = root / "pending-dumps"
    dumps = write_dumps(cfg.replace(source=dataclasses.replace(cfg.source, root=str(pending))), days, runs)
    cfg_file = root / "config.yaml"
    cfg_file.write_text(config_to_yaml(cfg), encoding="utf-8")
    t0 = time.perf_counter()
    report = run_models(cfg)
    export_marts(cfg)  # the first export writes every day's file: a daily run writes one
    built = time.perf_counter() - t0
    drop_databases(cfg)
    t0 = time.perf_counter()
    rows = sum(t.inserted for t in publish(cfg).tables)
    published = time.perf_counter() - t0
    print(
        f"{days} days: first build and marts {built:.1f}s ({report.action}), "
        f"first publish {published:.1f}s ({rows:,} rows, {rows / published:,.0f} rows/s)",
        flush=True,
    )
    return Prepared(cfg, cfg_file, dumps, built, published, rows)


@dataclasses.dataclass
class DailyRun:
    days: int
    wall: float
    steps: dict[str, float]
    #: peak RSS (MB): the largest VmHWM of the job's processes (ingest workers, SQLMesh child)
    rss_mb: float
    output: str


def daily(cfg: Config, cfg_file: Path, dump: Path, days: int) -> DailyRun:
    """Drop the next dump into the source folder and run `lakehouse daily` on it."""
    target = Path(cfg.source.root) / dump.name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(dump, target)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    env["SQLMESH__DISABLE_ANONYMIZED_ANALYTICS"] = "1"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--config", str(cfg_file), "daily"],
        cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    peak = PeakRss(proc.pid)
    peak.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    peak.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"lakehouse daily exited {proc.returncode}:\n{out[-3000:]}")
    steps = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\[(\w+)\] ([0-9.]+)s", out, re.M)}
    return DailyRun(days, wall, steps, peak.mb, out)


class PeakRss(threading.Thread):
    """The largest VmHWM of the job's processes (itself, ingest workers, the SQLMesh child).

    Sampled every 50 ms from /proc: ``ru_maxrss`` from wait4 would not do, since exec records
    the forking process's high-water mark (this bench holds the simulation: ~1.7 GB).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = pid
        self.kb = 0
        self._done = threading.Event()

    @property
    def mb(self) -> float:
        return self.kb / 1024

    def stop(self) -> None:
        self._done.set()
        self.join()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                with contextlib.suppress(OSError):  # the task ended meanwhile
                    todo += [int(c) for c in (task / "children").read_text().split()]
        return pids

    def run(self) -> None:
        while not self._done.wait(0.05):
            for pid in self._tree():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
                if m:
                    self.kb = max(self.kb, int(m.group(1)))


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--days", type=int, default=400)
    p.add_argument("--short-days", type=int, default=100)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workdir", help="keep the staged lake here (default: a temp dir)")
    p.add_argument("--markdown", help="also write the result table to this file")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the bench MySQL databases")
    p.add_argument("-v", "--verbose", action="store_true", help="print each daily job's summary")
    p.add_argument(
        "--seed-baseline-repeat", type=int, default=1, metavar="N",
        help="runs of the seed's history rebuild on the same lake, the same-run baseline (0: skip it)",
    )  # fmt: skip
    args = p.parse_args(argv)

    tmp = None
    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-daily-")
        workdir = Path(tmp.name)
    configs: list[Config] = []
    try:
        print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
        staging = bench_models.stage_lake(workdir, args.days + args.runs)
        long = prepare(staging, workdir, args.days, args.runs)
        long_cfg, long_file, long_dumps = long.cfg, long.cfg_file, long.dumps
        configs.append(long_cfg)
        baseline = None
        if args.seed_baseline_repeat:
            # the seed's history rebuild on the same lake, before the daily runs add days to it
            print(
                f"seed baseline on the {args.days}-day lake (MariaDB database {SEED_DATABASE}) ...",
                flush=True,
            )
            baseline = history_baseline(long_cfg, workdir / "seed-csv", args.seed_baseline_repeat)
            if not baseline["check_history"]["ok"]:
                raise RuntimeError(f"the seed baseline's history differs: {baseline['check_history']}")
        short = prepare(staging, workdir, args.short_days, args.runs)
        short_cfg, short_file, short_dumps = short.cfg, short.cfg_file, short.dumps
        configs.append(short_cfg)

        long_runs: list[DailyRun] = []
        short_runs: list[DailyRun] = []
        for i in range(args.runs):
            pairs: list[tuple[Config, Path, Path, int, list[DailyRun]]] = [
                (long_cfg, long_file, long_dumps[i], args.days + i, long_runs),
                (short_cfg, short_file, short_dumps[i], args.short_days + i, short_runs),
            ]
            if i % 2:
                pairs.reverse()
            for cfg, cfg_file, dump, days, results in pairs:
                r = daily(cfg, cfg_file, dump, days)
                results.append(r)
                steps = ", ".join(f"{k} {v:.1f}s" for k, v in r.steps.items())
                print(f"daily job, {days} days of history: {r.wall:.2f}s wall ({steps})", flush=True)
                if args.verbose:
                    print("    " + r.output.strip().replace("\n", "\n    "), flush=True)

        def med(runs: list[DailyRun], key: Any) -> float:
            return statistics.median(key(r) for r in runs)

        lw, sw = med(long_runs, lambda r: r.wall), med(short_runs, lambda r: r.wall)
        rss = max(r.rss_mb for r in long_runs + short_runs)
        names = list(dict.fromkeys(k for r in long_runs for k in r.steps))
        rows: list[tuple[str, str, str]] = [
            (f"daily job, {args.days} days of history (median of {args.runs})", f"{lw:.2f} s", "<= 5 s"),
            (f"daily job, {args.short_days} days of history (median of {args.runs})", f"{sw:.2f} s", ""),
            (f"ratio {args.days}/{args.short_days} days", f"{lw / sw:.2f}", "<= 1.1"),
        ]
        for name in names:
            seconds = statistics.median(r.steps.get(name, 0.0) for r in long_runs)
            rows.append((f"  of which `{name}` ({args.days} days)", f"{seconds:.2f} s", ""))
        rows.append(("peak RSS of the job or one of its processes", f"{rss:.0f} MB", "<= 1.5 GB"))
        rows.append((f"first build and marts ({args.days} days)", f"{long.first_build_seconds:.1f} s", ""))
        rate = long.first_publish_rows / long.first_publish_seconds
        rows.append((
            f"first publish ({args.days} days, {long.first_publish_rows:,} rows)",
            f"{long.first_publish_seconds:.1f} s ({rate:,.0f} rows/s)", ">= 200k rows/s",
        ))  # fmt: skip
        seed_s = baseline["history"]["median_seconds"] if baseline is not None else 0.0
        if baseline is not None:
            runs_seed = len(baseline["history"]["runs"])
            rows += [
                (f"**seed baseline**: history rebuild in MariaDB, {args.days} days (median of {runs_seed})",
                 f"{seed_s:.1f} s", "baseline"),
                ("daily job / seed baseline", f"1/{seed_s / lw:.1f}", "<= 1/8"),
                ("first build and marts / seed baseline", f"1/{seed_s / long.first_build_seconds:.1f}",
                 "<= 1/4"),
            ]  # fmt: skip
        load = os.getloadavg()
        table = ["| measure | measured | target |", "|---|---|---|"]
        table += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        each_long = ", ".join(f"{r.wall:.2f}" for r in long_runs)
        each_short = ", ".join(f"{r.wall:.2f}" for r in short_runs)
        text = "\n".join(table) + (
            f"\n\n{os.cpu_count()} cores; load average at the end {load[0]:.1f} / {load[1]:.1f} / "
            f"{load[2]:.1f}; realistic profile, seed 7; each run: {each_long} s ({args.days} days), "
            f"{each_short} s ({args.short_days} days)."
        )
        print()
        print(text)
        if args.markdown:
            Path(args.markdown).write_text(text + "\n", encoding="utf-8")
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {
                        "long": [dataclasses.asdict(r) | {"output": ""} for r in long_runs],
                        "short": [dataclasses.asdict(r) | {"output": ""} for r in short_runs],
                        "median_long": lw,
                        "median_short": sw,
                        "peak_rss_mb": rss,
                        "first_build_seconds": long.first_build_seconds,
                        "first_publish_seconds": long.first_publish_seconds,
                        "first_publish_rows": long.first_publish_rows,
                        "seed_baseline": baseline,
                    },
                    indent=2,
                    default=str,
                ),
                encoding="utf-8",
            )
        missed = [
            name
            for name, ok in (
                (f"daily job <= {TARGET_SECONDS} s", lw <= TARGET_SECONDS),
                (f"400/100 days <= {TARGET_RATIO}", lw / sw <= TARGET_RATIO),
                (f"peak RSS <= {TARGET_RSS_MB} MB", rss <= TARGET_RSS_MB),
                ("daily job <= 1/8 of the seed baseline", baseline is None or lw * 8 <= seed_s),
            )
            if not ok
        ]
        for name in missed:
            print(f"MISSED: {name}")
        return 1 if missed else 0
    finally:
        if not args.keep:
            for cfg in configs:
                drop_databases(cfg)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
