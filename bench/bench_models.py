"""Benchmark of the SQLMesh models on the `realistic` demo lake (~28k tenants, ~12k rooms).

    .venv/bin/python bench/bench_models.py [--days 400] [--short-days 100] [--daily-runs 3]
                                           [--workdir DIR] [--markdown FILE]

Measures, through the daily job's own entry point `pipeline.models.run_models`:

1. **first build** of the whole lake (`sqlmesh plan`, every model from 400 days of history),
   target <= 60 s;
2. **daily run** after one new day is ingested, on a 400-day and on a 100-day lake, alternated
   `--daily-runs` times in the same bench run (median wall and CPU seconds), target ratio
   400/100 <= 1.25;
3. **the SPEC §4b models' cost in the daily run**: the same daily runs on a copy of the code
   whose SQLMesh project lacks the breakdown and accuracy models (SECTION_4B, their audits and
   unit tests; its own warehouse on the same 400-day lake), alternated with the real ones, as
   the ratio daily run / daily run without them (target <= 1.3); and the accuracy table's size
   against the rows one daily run recomputes (its lookback), to show it is incremental;
4. **history rebuild**: SQLMesh's evaluation of `silver.tenant_status_history` (its FULL
   refresh, from the console log of the last daily run) against the same rendered query run
   directly in DuckDB (`CREATE TABLE AS`, into a DuckDB file, on the same lake files), target
   <= 2x.

The lake comes from `demo.generate.write_lake_direct(config, start, days, profile="realistic",
seed=7)`: one simulation of days+runs days is written once to a staging lake, and the 400- and
100-day lakes are hard links to its first partitions (a simulation's first N days do not depend
on its length), so each "new day" is the next partition of the same simulation.

CPU seconds are those of the SQLMesh child processes (getrusage), less sensitive than wall
time to other processes sharing the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lake.config import Config, load_config  # noqa: E402
from lake.layout import partition_dir  # noqa: E402
from lake.manifest import entry_uri  # noqa: E402
from pipeline.models import ModelsReport, run_models  # noqa: E402

START = dt.date(2024, 1, 1)
#: the SPEC §4b models (their evaluation seconds are read from the daily runs' console logs)
SECTION_4B = (
    "intermediate.occupancy_group_daily_actuals",
    "intermediate.occupancy_group_daily_projection",
    "gold.occupancy_daily_metrics_by_apartment",
    "gold.occupancy_daily_metrics_by_area",
    "gold.occupancy_projection_accuracy",
)
TABLES = ("tenants", "rooms", "apartments")


def config_for(root: Path) -> Config:
    base = load_config(str(REPO / "config.yaml"), environ={})
    return base.replace(
        lake=dataclasses.replace(base.lake, root=str(root / "lake")),
        warehouse=dataclasses.replace(base.warehouse, path=str(root / "warehouse.duckdb")),
        models=dataclasses.replace(base.models, start=START),
    )


def stage_lake(workdir: Path, days: int) -> Config:
    """The simulated lake of `days` days (reused when already there)."""
    cfg = config_for(workdir / "staging")
    marker = workdir / "staging" / f".complete-{days}"
    if marker.exists():
        return cfg
    from demo.generate import write_lake_direct

    shutil.rmtree(workdir / "staging", ignore_errors=True)
    report = write_lake_direct(cfg, START, days, profile="realistic", seed=7)
    print(f"staged: {report.summary()}", flush=True)
    marker.write_text("ok")
    return cfg


def link_day(staging: Config, target: Config, day: dt.date) -> None:
    """The staged day's files, then its manifest entry (the commit: the day becomes visible)."""
    for table in TABLES:
        src = Path(partition_dir(staging.lake.root, table, day))
        if not src.exists():
            continue
        dst = Path(partition_dir(target.lake.root, table, day))
        dst.mkdir(parents=True, exist_ok=True)
        for f in src.iterdir():
            os.link(f, dst / f.name)
    entry = Path(entry_uri(target.lake.root, day))
    entry.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(entry_uri(staging.lake.root, day), entry)


def make_lake(staging: Config, root: Path, days: int) -> Config:
    shutil.rmtree(root, ignore_errors=True)
    cfg = config_for(root)
    for i in range(days):
        link_day(staging, cfg, START + dt.timedelta(days=i))
    return cfg


@dataclasses.dataclass
class Timed:
    report: ModelsReport
    wall: float
    cpu: float
    log: str


def project_without_4b(tree: Path) -> Path:
    """A copy of the code (packages and SQLMesh project) without the SPEC §4b models.

    Their model files, their audits (audits/breakdowns.sql) and unit tests are left out, and
    intermediate.computed_lake_days no longer waits for the group models.
    """
    shutil.rmtree(tree, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", ".cache", "logs")
    for package in ("lake", "loaders", "pipeline", "publish", "demo", "sqlmesh_project", "bench"):
        shutil.copytree(REPO / package, tree / package, ignore=ignore)
    project = tree / "sqlmesh_project"
    for model in SECTION_4B:
        layer, name = model.split(".")
        (project / "models" / layer / f"{name}.sql").unlink()
    for test in (
        "test_occupancy_group_daily_actuals.yaml",
        "test_occupancy_group_daily_projection.yaml",
        "test_occupancy_projection_accuracy.yaml",
    ):
        (project / "tests" / test).unlink()
    (project / "audits" / "breakdowns.sql").unlink()
    record = project / "models" / "intermediate" / "computed_lake_days.sql"
    text = record.read_text(encoding="utf-8")
    trimmed = re.sub(r",\n\s*intermediate\.occupancy_group_daily_\w+", "", text)
    if trimmed.count("occupancy_group_daily") != text.count("occupancy_group_daily") - 2:
        raise RuntimeError(f"unexpected depends_on in {record}")
    record.write_text(trimmed, encoding="utf-8")
    return tree


#: `timed_run` in a process of its own, with this script as copied into the tree (its REPO)
_TIMED_CHILD = """
import dataclasses, json, sys
sys.path.insert(0, "bench")
from bench_models import timed_run
from lake.config import load_config
timed = timed_run(load_config(sys.argv[1]))
print(json.dumps(dataclasses.asdict(timed) | {"report": timed.report.to_json()}))
"""


def timed_run_in(tree: Path, cfg: Config) -> Timed:
    """`timed_run` with the code in `tree`: a process of its own, with its packages, its project
    and its copy of this script."""
    import json
    import subprocess

    from pipeline.sqlmesh_env import config_to_yaml

    path = Path(cfg.warehouse.path).parent / "bench-config.yaml"
    path.write_text(config_to_yaml(cfg), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    env["PYTHONPATH"] = str(tree)
    proc = subprocess.run(
        [sys.executable, "-c", _TIMED_CHILD, str(path)],
        cwd=str(tree), env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"run in {tree} failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return Timed(ModelsReport.from_json(data["report"]), data["wall"], data["cpu"], data["log"])


def timed_run(cfg: Config) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = io.StringIO()
    t0 = time.perf_counter()
    report = run_models(cfg, output=out)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(report, wall, cpu, out.getvalue())


def model_seconds(log: str, model: str) -> Optional[float]:
    """Seconds SQLMesh reports for `model` in its evaluation log ('[1/1] model [...] 4.11s')."""
    found = None
    for line in log.splitlines():
        if re.search(rf"\]\s+{re.escape(model)}\s", line):
            m = re.search(r"([0-9.]+)s\s*$", line.rstrip())
            if m:
                found = float(m.group(1))
    return found


def accuracy_counts(cfg: Config) -> tuple[int, int]:
    """Rows of the accuracy table, and those a daily run recomputes (projected dates in its lookback)."""
    import duckdb

    con = duckdb.connect(cfg.warehouse.path, read_only=True)
    try:
        total, recent = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE snapshot_date > (SELECT max(snapshot_date) "
            f"FROM gold.occupancy_projection_accuracy) - {cfg.kpi.forward_days}) "
            "FROM gold.occupancy_projection_accuracy"
        ).fetchone()
    finally:
        con.close()
    return int(total), int(recent)


def _bench_env(cfg: Config) -> dict[str, str]:
    from pipeline.sqlmesh_env import config_to_yaml

    path = Path(cfg.warehouse.path).parent / "bench-config.yaml"
    path.write_text(config_to_yaml(cfg), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE__")}
    env.update(LAKEHOUSE_CONFIG=str(path), SQLMESH__DISABLE_ANONYMIZED_ANALYTICS="1", COLUMNS="160")
    return env


def _sqlmesh(cfg: Config, *args: str) -> str:
    import subprocess

    return subprocess.run(
        [str(Path(sys.executable).parent / "sqlmesh"), *args],
        cwd=str(REPO / "sqlmesh_project"),
        env=_bench_env(cfg),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def sqlmesh_history_seconds(cfg: Config, repeat: int = 3) -> float:
    """SQLMesh's own time for the FULL refresh of the history (+ its audits), best of n restatements."""
    best = float("inf")
    for _ in range(repeat):
        log = _sqlmesh(
            cfg,
            "plan",
            "--restate-model",
            "silver.tenant_status_history",
            "--auto-apply",
            "--no-prompts",
            "--skip-tests",
        )
        seconds = model_seconds(log, "silver.tenant_status_history")
        if seconds is None:
            raise RuntimeError("no timing for silver.tenant_status_history in:\n" + log[-3000:])
        best = min(best, seconds)
    return best


def direct_history_seconds(cfg: Config, repeat: int = 3) -> tuple[float, float]:
    """The rendered history query run directly by DuckDB (best of n), on the same data.

    Returns (seconds on the warehouse's silver.tenant_daily_snapshots -- what the model reads --,
    seconds of the same query reading the lake's Parquet partitions instead, for reference).
    """
    rendered = _sqlmesh(cfg, "render", "silver.tenant_status_history", "--no-format")
    catalog = Path(cfg.warehouse.path).stem
    query = rendered.replace(f'"{catalog}".', "")
    # the model's source: the prod view or (once deployed) its physical table
    source = re.compile(
        r'"sqlmesh__silver"\."silver__tenant_daily_snapshots__\d+"|"silver"\."tenant_daily_snapshots"'
    )
    if not source.search(query):
        raise RuntimeError("unexpected rendering of silver.tenant_status_history:\n" + query[:2000])
    from lake.manifest import table_sql

    lake_source = (
        "(SELECT snapshot_date, id AS tenant_id, status, contract_type, payment_status FROM "
        + table_sql(cfg, "tenants")
        + ")"
    )
    on_lake = source.sub(lambda _: lake_source, query)

    from lake.connection import connect

    def best_of(con: Any, sql: str) -> float:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TEMP TABLE history AS {sql}")
            best = min(best, time.perf_counter() - t0)
        return best

    con = connect(cfg, database=cfg.warehouse.path, read_only=True)
    try:
        return best_of(con, query), best_of(con, on_lake)
    finally:
        con.close()


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--days", type=int, default=400)
    p.add_argument("--short-days", type=int, default=100)
    p.add_argument("--daily-runs", type=int, default=3)
    p.add_argument("--workdir", help="keep the staged lake here between bench runs (default: a temp dir)")
    p.add_argument("--markdown", help="also write the result table to this file")
    args = p.parse_args(argv)

    tmp = None
    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-models-")
        workdir = Path(tmp.name)
    try:
        t0 = time.perf_counter()
        staging = stage_lake(workdir, args.days + args.daily_runs)
        print(f"lake staged in {time.perf_counter() - t0:.1f}s", flush=True)
        long_cfg = make_lake(staging, workdir / "long", args.days)
        short_cfg = make_lake(staging, workdir / "short", args.short_days)

        first = timed_run(long_cfg)
        print(f"first build ({args.days} days): {first.wall:.1f}s wall, {first.cpu:.1f}s CPU", flush=True)
        print(f"  {first.report.summary()}", flush=True)
        short_first = timed_run(short_cfg)
        print(f"first build ({args.short_days} days): {short_first.wall:.1f}s wall", flush=True)
        tree = project_without_4b(workdir / "without-4b")
        bare_cfg = long_cfg.replace(
            warehouse=dataclasses.replace(
                long_cfg.warehouse, path=str(workdir / "long" / "without-4b.duckdb")
            )
        )
        bare_first = timed_run_in(tree, bare_cfg)
        print(
            f"first build without the §4b models ({args.days} days): {bare_first.wall:.1f}s wall", flush=True
        )

        long_runs: list[Timed] = []
        short_runs: list[Timed] = []
        bare_runs: list[Timed] = []
        for i in range(args.daily_runs):
            link_day(staging, long_cfg, START + dt.timedelta(days=args.days + i))
            link_day(staging, short_cfg, START + dt.timedelta(days=args.short_days + i))
            runs = [
                (f"{args.days + i} days of history", lambda: timed_run(long_cfg), long_runs),
                (
                    f"{args.days + i} days, without the §4b models",
                    lambda: timed_run_in(tree, bare_cfg),
                    bare_runs,
                ),
                (f"{args.short_days + i} days of history", lambda: timed_run(short_cfg), short_runs),
            ]
            if i % 2:  # alternate which of the two 400-day variants runs first
                runs[0], runs[1] = runs[1], runs[0]
            for label, run, results in runs:
                r = run()
                assert r.report.action == "run" and r.report.new_days, r.report.summary()
                results.append(r)
                steps = ", ".join(f"{k} {v:.1f}s" for k, v in r.report.steps.items())
                print(
                    f"daily run {i + 1} ({label}): {r.wall:.1f}s wall, {r.cpu:.1f}s CPU ({steps})", flush=True
                )

        def med(xs: list[float]) -> float:
            return statistics.median(xs)

        lw, sw = med([r.wall for r in long_runs]), med([r.wall for r in short_runs])
        lc, sc = med([r.cpu for r in long_runs]), med([r.cpu for r in short_runs])
        hist_sqlmesh = sqlmesh_history_seconds(long_cfg)
        hist_direct, hist_lake = direct_history_seconds(long_cfg)
        load = os.getloadavg()

        hist_ratio = hist_sqlmesh / hist_direct
        bw, bc = med([r.wall for r in bare_runs]), med([r.cpu for r in bare_runs])
        b4 = med([sum(model_seconds(r.log, m) or 0.0 for m in SECTION_4B) for r in long_runs])
        accuracy_s = med(
            [model_seconds(r.log, "gold.occupancy_projection_accuracy") or 0.0 for r in long_runs]
        )
        accuracy_rows, accuracy_recent = accuracy_counts(long_cfg)
        rows = [
            (f"first build, {args.days} days (`sqlmesh plan`)", first.wall, first.cpu, "<= 60 s"),
            (f"daily run, {args.days} days of history (median of {args.daily_runs})", lw, lc, ""),
            (f"daily run, {args.short_days} days of history (median of {args.daily_runs})", sw, sc, ""),
            (f"daily run ratio {args.days}/{args.short_days} days", lw / sw, lc / sc, "<= 1.25"),
            (f"first build, {args.days} days, without the §4b models", bare_first.wall, bare_first.cpu, ""),
            (
                f"daily run, {args.days} days, without the §4b models (median of {args.daily_runs})",
                bw,
                bc,
                "",
            ),
            ("daily run / daily run without the §4b models", lw / bw, lc / bc, "<= 1.3"),
            (
                f"(reference) SQLMesh's seconds of the §4b models in the {args.days}-day run (median)",
                b4,
                None,
                "",
            ),
            (
                f"accuracy model in the daily run; table {accuracy_rows:,} rows, "
                f"{accuracy_recent:,} in the last 90 days (recomputed)",
                accuracy_s,
                None,
                "incremental",
            ),
            ("history rebuild in SQLMesh (FULL refresh + 5 audits, best of 3)", hist_sqlmesh, None, ""),
            ("same history query directly in DuckDB (best of 3)", hist_direct, None, ""),
            ("history SQLMesh / direct", hist_ratio, None, "<= 2"),
            ("(reference) the same query on the lake's Parquet files", hist_lake, None, ""),
        ]

        def cell(v: Optional[float], ratio: bool) -> str:
            return "" if v is None else (f"{v:.2f}" if ratio else f"{v:.1f} s")

        table = ["| measure | wall | CPU | target |", "|---|---|---|---|"]
        for name, wall, cpu, target in rows:
            ratio = name.startswith(("daily run ratio", "history SQLMesh /", "daily run / "))
            table.append(f"| {name} | {cell(wall, ratio)} | {cell(cpu, ratio)} | {target} |")
        footer = (
            f"\n{os.cpu_count()} cores; load average at the end {load[0]:.1f} / {load[1]:.1f} / "
            f"{load[2]:.1f} (1/5/15 min); {args.days}-day lake, realistic profile, seed 7."
        )
        text = "\n".join(table) + footer
        print()
        print(text)
        if args.markdown:
            Path(args.markdown).write_text(text + "\n", encoding="utf-8")
        missed = [
            name
            for name, value, limit in (
                ("first build <= 60 s", first.wall, 60.0),
                ("daily run 400/100 days <= 1.25", lw / sw, 1.25),
                ("daily run / without the §4b models <= 1.3", lw / bw, 1.3),
                ("history SQLMesh / direct <= 2", hist_ratio, 2.0),
            )
            if value > limit
        ]
        for name in missed:
            print(f"MISSED: {name}")
        return 1 if missed else 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
