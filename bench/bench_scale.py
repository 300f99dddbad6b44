"""Benchmark of how the SQLMesh models scale with the length of history (400, 1000, 3650 days).

    .venv/bin/python bench/bench_scale.py [--days 400,1000,3650] [--daily-runs 2] [--code HEAD]
                                          [--max-minutes 30] [--min-free-gb 20]
                                          [--memory-limit 8GB] [--workdir DIR]
                                          [--markdown FILE] [--json FILE]

For each history length, on the `realistic` demo lake, through the daily job's own entry point
`pipeline.models.run_models` (`bench_models.timed_run`):

1. **first build** of every model (`sqlmesh plan` on an empty warehouse): wall seconds, CPU
   seconds (of the SQLMesh child), peak RSS;
2. **daily run** after one new day is linked into the lake (median of `--daily-runs`; the
   lengths take turns, in alternating order): wall, CPU, peak RSS;
3. **the lake's size**: tenant-day rows and days (from the manifest entries), bytes of its
   Parquet files, and the warehouse file's size after the first build;
4. how long **staging** the synthetic lake took (reported, not a target).

The lake comes from `demo.generate.write_lake_direct(config, 2024-01-01, days,
profile="realistic", seed=7)` via `bench_models.stage_lake`: one simulation of
max(--days) + --daily-runs days is staged once in the workdir (kept with --workdir, so a re-run
skips staging), and each shorter lake is hard links to its first N partitions
(`bench_models.make_lake`); each "new day" is the next partition of the same simulation.

Every measurement runs in a fresh process of its own (`python -c`, started from this small
parent, which never loads a lake), which calls `timed_run` and reports its own and its
children's `ru_maxrss` (`getrusage`): "peak RSS" is the larger, i.e. the largest single process
of the run (in practice the SQLMesh child). The parent also samples the VmHWM of the whole process
tree (`bench_daily.PeakRss`) as a cross-check (in the JSON). The load average (1/5/15 min) is
recorded before and after each measurement. No targets: the script exits 0 unless a run fails.

Guards for a shared machine: a measurement running longer than --max-minutes, or during which
the workdir's disk has less than --min-free-gb free (DuckDB spills next to the warehouse, up to
90 % of the free space by default), is stopped, its spill files removed, and reported as not
measured with the models it finished (exit 1). Before the models computed backfills in yearly
batches (models.batch_days), the 3650-day first build was stopped by hand after 15 min at 21 GB
RSS and 34 GB of spill; batched, it takes ~8 min (docs/benchmarks/scale.md). `--memory-limit`
sets the runs' DuckDB memory_limit, to see what the builds need rather than what they may take.

The code measured is a snapshot of a commit (`--code`, default HEAD: `git archive` into the
workdir, this script copied next to it, then re-executed from there), so that uncommitted edits
in the shared work tree during a long run cannot change the models under measurement;
`--code worktree` measures the work tree as it is.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

import bench_models  # noqa: E402
from bench_daily import PeakRss  # noqa: E402

from lake.config import Config  # noqa: E402

START = bench_models.START
DEFAULT_DAYS = (400, 1000, 3650)

#: one measurement in a fresh process: staging (`stage`) or `timed_run` (`run`), then its own
#: and its children's peak RSS; the last line of stdout is the JSON result
_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import bench_models
mode = sys.argv[2]
if mode == "stage":
    t0 = time.perf_counter()
    bench_models.stage_lake(Path(sys.argv[3]), int(sys.argv[4]))
    out = {"wall": time.perf_counter() - t0}
else:
    from lake.config import load_config
    timed = bench_models.timed_run(load_config(sys.argv[3]))
    Path(sys.argv[4]).write_text(timed.log, encoding="utf-8")
    r = timed.report
    out = {"wall": timed.wall, "cpu": timed.cpu, "action": r.action, "reason": r.reason,
           "new_days": len(r.new_days), "steps": r.steps, "summary": r.summary()}
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
out.update(self_rss_kb=me.ru_maxrss, children_rss_kb=kids.ru_maxrss,
           self_cpu=me.ru_utime + me.ru_stime, children_cpu=kids.ru_utime + kids.ru_stime)
print("BENCH_SCALE " + json.dumps(out), flush=True)
"""


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Stopped(RuntimeError):
    """A measurement that failed or was stopped (time limit, disk floor): what is known of it."""

    def __init__(self, reason: str, figures: dict[str, Any]) -> None:
        super().__init__(reason)
        self.figures = {"error": reason, **figures}


#: limits of one measurement (set from --max-minutes / --min-free-gb)
LIMITS: dict[str, float] = {"seconds": 0.0, "free_bytes": 0.0}


def in_child(*args: str, echo: bool = False, disk: Optional[Path] = None) -> dict[str, Any]:
    """Run `_CHILD` with `args` in a fresh process; its result plus wall, RSS and load figures.

    The process (its own session: it and its SQLMesh child) is stopped when it runs longer than
    LIMITS["seconds"] or the free space on `disk` (DuckDB spills next to the warehouse) falls
    under LIMITS["free_bytes"]; it then raises Stopped with the figures known so far.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    env.update(SQLMESH__DISABLE_ANONYMIZED_ANALYTICS="1", PYTHONPATH=str(REPO))
    load_before = load()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(BENCH), *args],
        cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    peak = PeakRss(proc.pid)
    peak.start()
    stopped = ""
    min_free = float("inf")
    while True:
        try:
            out, err = proc.communicate(timeout=5)
            break
        except subprocess.TimeoutExpired:
            elapsed = time.perf_counter() - t0
            free = shutil.disk_usage(disk).free if disk else float("inf")
            min_free = min(min_free, free)
            if stopped:
                continue
            if LIMITS["seconds"] and elapsed > LIMITS["seconds"]:
                stopped = f"stopped after {elapsed / 60:.1f} min (--max-minutes)"
            elif free < LIMITS["free_bytes"]:
                stopped = f"stopped after {elapsed / 60:.1f} min: {free / 2**30:.1f} GB disk free"
            if stopped:
                print(f"  {stopped}", flush=True)
                os.killpg(proc.pid, signal.SIGTERM)  # the session this bench started for it
    process_wall = time.perf_counter() - t0
    peak.stop()
    known = {
        "process_wall": process_wall,
        "sampled_vmhwm_mb": peak.mb,
        "min_free_disk_gb": None if min_free == float("inf") else min_free / 2**30,
        "load_before": load_before,
        "load_after": load(),
    }
    if stopped or proc.returncode != 0:
        text = out + err
        reason = stopped or f"bench child {args[0]} exited {proc.returncode}"
        done = model_seconds(text)  # the models SQLMesh finished, from the output's tail
        raise Stopped(reason, {**known, "model_seconds_done": done, "output_tail": text[-4000:]})
    lines = out.strip().splitlines()
    if echo:
        for line in lines[:-1]:
            print(f"  {line}", flush=True)
    data = json.loads(lines[-1].split(" ", 1)[1])
    data.update(known, rss_mb=max(data["self_rss_kb"], data["children_rss_kb"]) / 1024)
    return data


def write_config(cfg: Config) -> Path:
    from pipeline.sqlmesh_env import config_to_yaml

    path = Path(cfg.warehouse.path).parent / "bench-config.yaml"
    path.write_text(config_to_yaml(cfg), encoding="utf-8")
    return path


def stage(workdir: Path, days: int) -> dict[str, Any]:
    """The staged simulation of `days` days (in a child); reused, with its recorded figures,
    when a previous bench run left it in the workdir."""
    for marker in sorted((workdir / "staging").glob(".complete-*")):
        staged = int(marker.name.split("-")[1])
        record = marker.with_name(f".stage-{staged}.json")
        if staged >= days and record.exists():  # its first `days` days are those of a shorter one
            data = json.loads(record.read_text(encoding="utf-8"))
            data["reused"] = True
            return data
    record = workdir / "staging" / f".stage-{days}.json"
    data = in_child("stage", str(workdir), str(days), echo=True)
    data.update(days=days, date=dt.datetime.now().isoformat(timespec="seconds"), reused=False)
    record.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return data


def lake_size(cfg: Config, days: int) -> dict[str, Any]:
    """Rows of the lake's first `days` days (manifest entries) and bytes of its Parquet files."""
    from lake.manifest import entry_uri

    rows: dict[str, int] = {}
    for i in range(days):
        entry = json.loads(Path(entry_uri(cfg.lake.root, START + dt.timedelta(days=i))).read_text())
        for table, n in entry["rows"].items():
            rows[table] = rows.get(table, 0) + int(n)
    files = [p for p in Path(cfg.lake.root).rglob("*.parquet") if p.is_file()]
    return {
        "days": days,
        "rows": rows,
        "tenant_rows": rows.get("tenants", 0),
        "parquet_files": len(files),
        "parquet_bytes": sum(p.stat().st_size for p in files),
    }


def warehouse_bytes(cfg: Config) -> int:
    path = Path(cfg.warehouse.path)
    wal = path.with_name(path.name + ".wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def measure_run(cfg: Config, cfg_file: Path, log: Path) -> dict[str, Any]:
    root = Path(cfg.warehouse.path).parent
    try:
        data = in_child("run", str(cfg_file), str(log), disk=root)
    except Stopped:
        spill = Path(cfg.warehouse.path + ".tmp")  # a stopped DuckDB leaves its spill files
        shutil.rmtree(spill, ignore_errors=True)
        raise
    data["model_seconds"] = model_seconds(log.read_text(encoding="utf-8"))
    return data


def model_seconds(log: str) -> dict[str, float]:
    """SQLMesh's seconds per model evaluation in a run's console log (the last of each)."""
    pattern = r"^\[\d+/\d+\] (\S+)\s+\[[^]]*\]\s+([0-9.]+)s\s*$"
    return {m.group(1): float(m.group(2)) for m in re.finditer(pattern, log, re.M)}


def human_bytes(n: float) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.2f} GB"
    return f"{n / 2**20:.0f} MB"


def markdown(result: dict[str, Any]) -> str:
    runs = result["daily_runs"]
    head = (
        "| days | tenant-day rows | lake (Parquet) | warehouse | first build wall | CPU | peak RSS "
        f"| load | daily run wall (median of {runs}) | CPU | peak RSS | load |"
    )
    lines = [head, "|" + "---|" * 12]
    for lake in result["lakes"]:
        first, med = lake["first_build"], lake.get("daily_median")
        cells = [f"{lake['days']:,}", f"{lake['tenant_rows']:,}", human_bytes(lake["parquet_bytes"])]
        if "error" in first:
            cells += ["", f"**not measured**: {first['error']}", "", f"{first['sampled_vmhwm_mb']:,.0f} MB"]
        else:
            cells += [human_bytes(lake["warehouse_bytes"]), f"{first['wall']:.1f} s", f"{first['cpu']:.1f} s"]
            cells.append(f"{first['rss_mb']:,.0f} MB")
        cells.append(f"{first['load_after'][0]:.1f}")
        if med:
            cells += [f"{med['wall']:.1f} s", f"{med['cpu']:.1f} s", f"{med['rss_mb']:,.0f} MB"]
            cells.append(f"{med['load_after']:.1f}")
        else:
            errors = [r["error"] for r in lake["daily"] if "error" in r]
            cells += [f"**not measured**{': ' + errors[0] if errors else ''}", "", "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    st = result["staging"]
    reused = f" (reused from a bench run of {st['date']})" if st.get("reused") else ""
    each = "; ".join(
        f"{lake['days']} days: " + ", ".join(f"{r['wall']:.1f}" for r in lake["daily"] if "wall" in r) + " s"
        for lake in result["lakes"]
        if lake.get("daily_median")
    )
    lines += [
        "",
        f"Staging the {st['days']}-day simulation (`write_lake_direct`, one child process): "
        f"{st['wall']:.1f} s wall, peak RSS {st['rss_mb']:,.0f} MB{reused}. "
        f"Each daily run: {each or 'none'}. Load: 1-minute load average right after each measurement; "
        f"the daily-run column is the median of its runs. {result['machine']['cores']} cores, "
        f"{result['machine']['mem_gb']:.0f} GB; realistic profile, seed 7, start {START}; "
        f"code {result['code']['code']} of commit {result['code']['commit'][:12]}; "
        f"DuckDB memory_limit {result['memory_limit'] or 'default (80 % of RAM)'}.",
    ]
    for lake in result["lakes"]:
        for name, r in [("first build", lake["first_build"])] + [("daily run", r) for r in lake["daily"]]:
            if "error" in r:
                done = ", ".join(f"{m} {v:.0f} s" for m, v in r["model_seconds_done"].items())
                lines.append(
                    f"\n{lake['days']} days, {name}: {r['error']}; sampled peak RSS "
                    f"{r['sampled_vmhwm_mb']:,.0f} MB; models finished by then: {done or 'none'}."
                )
    return "\n".join(lines)
    return "\n".join(lines)


def snapshot(rev: str, workdir: Path) -> Path:
    """The files of commit `rev` in `workdir`/code-<sha>, with this script in its bench/."""
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    tree = workdir / f"code-{sha[:12]}"
    if not (tree / ".complete").exists():
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", sha], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        (tree / ".complete").write_text(sha, encoding="utf-8")
    shutil.copyfile(Path(__file__).resolve(), tree / "bench" / "bench_scale.py")
    return tree


def code_state() -> dict[str, Any]:
    """What code this process runs: the snapshot's commit, or the work tree's HEAD and changes."""
    sha = os.environ.get("BENCH_SCALE_CODE")
    if sha:
        return {"code": "snapshot", "commit": sha, "tree": str(REPO)}
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--short"], capture_output=True, text=True)
    return {"code": "worktree", "commit": head.stdout.strip(), "changes": dirty.stdout.splitlines()}


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--days",
        default=",".join(str(d) for d in DEFAULT_DAYS),
        help="comma-separated history lengths (default: 400,1000,3650)",
    )
    p.add_argument("--daily-runs", type=int, default=2)
    p.add_argument("--workdir", help="keep the staged lake here between bench runs (default: a temp dir)")
    p.add_argument("--markdown", help="also write the result table to this file")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument(
        "--max-minutes", type=float, default=30.0, help="stop a measurement after this long (default 30)"
    )
    p.add_argument(
        "--min-free-gb",
        type=float,
        default=20.0,
        help="stop a measurement when the workdir's disk has less free space (DuckDB spills; default 20)",
    )
    p.add_argument(
        "--memory-limit",
        default="",
        help="DuckDB memory_limit of the model runs (warehouse.memory_limit, e.g. 8GB; default: 80%% of RAM)",
    )
    p.add_argument("--code", default="HEAD", help="commit to measure (default HEAD), or 'worktree'")
    p.add_argument("--cleanup", action="store_true", help=argparse.SUPPRESS)  # remove the temp workdir
    args = p.parse_args(argv)
    lengths = sorted({int(d) for d in args.days.split(",") if d.strip()})
    if not lengths or args.daily_runs < 1:
        p.error("need at least one --days value and --daily-runs >= 1")

    LIMITS.update(seconds=args.max_minutes * 60, free_bytes=args.min_free_gb * 2**30)
    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
        args.cleanup = True
    if args.code != "worktree" and "BENCH_SCALE_CODE" not in os.environ:
        tree = snapshot(args.code, workdir)
        rest = list(sys.argv[1:] if argv is None else argv)
        rest += ["--workdir", str(workdir)] + (["--cleanup"] if args.cleanup else [])
        sha = (tree / ".complete").read_text(encoding="utf-8")
        print(f"measuring commit {sha[:12]} (snapshot in {tree})", flush=True)
        env = {**os.environ, "BENCH_SCALE_CODE": sha, "PYTHONPATH": str(tree)}
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, str(tree / "bench" / "bench_scale.py"), *rest], env)
    try:
        print(f"load average before: {load()}", flush=True)
        st = stage(workdir, max(lengths) + args.daily_runs)
        note = " (reused)" if st.get("reused") else ""
        print(f"staged {st['days']} days in {st['wall']:.1f}s, RSS {st['rss_mb']:.0f} MB{note}", flush=True)
        staging = bench_models.config_for(workdir / "staging")

        lakes: list[dict[str, Any]] = []
        failed = False
        for days in lengths:
            root = workdir / f"history-{days}"
            t0 = time.perf_counter()
            cfg = bench_models.make_lake(staging, root, days)
            linked = time.perf_counter() - t0
            if args.memory_limit:
                limited = dataclasses.replace(cfg.warehouse, memory_limit=args.memory_limit)
                cfg = cfg.replace(warehouse=limited)
            size = lake_size(cfg, days)
            cfg_file = write_config(cfg)
            try:
                first = measure_run(cfg, cfg_file, root / "first-build.log")
            except Stopped as e:
                failed = True
                print(f"first build, {days} days: {e}", flush=True)
                lakes.append({**size, "link_seconds": linked, "first_build": e.figures, "daily": []})
                continue
            if first["action"] != "plan":
                raise RuntimeError(f"{days} days: expected a first build (plan), got {first['summary']}")
            size["warehouse_bytes"] = warehouse_bytes(cfg)
            lakes.append({**size, "link_seconds": linked, "first_build": first, "daily": [], "cfg": cfg})
            print(
                f"first build, {days} days ({size['tenant_rows']:,} tenant rows, "
                f"{size['parquet_bytes'] / 2**20:.0f} MB Parquet): {first['wall']:.1f}s wall, "
                f"{first['cpu']:.1f}s CPU, peak RSS {first['rss_mb']:.0f} MB, load {first['load_after'][0]}; "
                f"warehouse {size['warehouse_bytes'] / 2**20:.0f} MB",
                flush=True,
            )

        for i in range(args.daily_runs):
            built = [lake for lake in lakes if "cfg" in lake and not any("error" in r for r in lake["daily"])]
            for lake in built if i % 2 == 0 else list(reversed(built)):
                days, cfg = lake["days"], lake["cfg"]
                bench_models.link_day(staging, cfg, START + dt.timedelta(days=days + i))
                log = workdir / f"history-{days}" / f"daily-{i + 1}.log"
                try:
                    r = measure_run(cfg, Path(cfg.warehouse.path).parent / "bench-config.yaml", log)
                except Stopped as e:
                    failed = True
                    print(f"daily run {i + 1}, {days + i} days of history: {e}", flush=True)
                    lake["daily"].append(e.figures)
                    continue
                if r["action"] != "run" or r["new_days"] != 1:
                    raise RuntimeError(f"{days} days: expected a daily run of one day, got {r['summary']}")
                lake["daily"].append(r)
                steps = ", ".join(f"{k} {v:.1f}s" for k, v in r["steps"].items())
                print(
                    f"daily run {i + 1}, {days + i} days of history: {r['wall']:.1f}s wall, "
                    f"{r['cpu']:.1f}s CPU, peak RSS {r['rss_mb']:.0f} MB, load {r['load_after'][0]} "
                    f"({steps})",
                    flush=True,
                )

        for lake in lakes:
            runs = [r for r in lake["daily"] if "error" not in r]
            if "cfg" not in lake or len(runs) < len(lake["daily"]) or not runs:
                continue
            lake["daily_median"] = {
                key: statistics.median(k(r) for r in runs)
                for key, k in (
                    ("wall", lambda r: r["wall"]),
                    ("cpu", lambda r: r["cpu"]),
                    ("rss_mb", lambda r: r["rss_mb"]),
                    ("load_after", lambda r: r["load_after"][0]),
                )
            }
            lake["warehouse_bytes_after_daily"] = warehouse_bytes(lake["cfg"])
        for lake in lakes:
            lake.pop("cfg", None)

        parent = resource.getrusage(resource.RUSAGE_SELF)
        result = {
            "date": dt.date.today().isoformat(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "memory_limit": args.memory_limit,
            "machine": {
                "cores": os.cpu_count(),
                "mem_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
                "platform": platform.platform(),
                "python": platform.python_version(),
            },
            "profile": "realistic",
            "seed": 7,
            "start": START.isoformat(),
            "daily_runs": args.daily_runs,
            "code": code_state(),
            "staging": st,
            "lakes": lakes,
            "parent_rss_mb": parent.ru_maxrss / 1024,
            "load_at_end": load(),
        }
        text = markdown(result)
        print()
        print(text)
        print(f"\nload average at the end: {result['load_at_end']}")
        if args.markdown:
            Path(args.markdown).write_text(text + "\n", encoding="utf-8")
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
        if failed:
            print("FAILED: a measurement failed or was stopped (see above)")
        return 1 if failed else 0
    finally:
        if args.cleanup:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
