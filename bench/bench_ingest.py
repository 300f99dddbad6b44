"""Benchmark of `lakehouse ingest` on the `realistic` demo dumps (docs/benchmarks/ingest.md).

    .venv/bin/python bench/bench_ingest.py [--workdir /tmp/bench-ingest] [--days 30] [--big-factor 4]
        [--only one-dump|tenants|backfill|workers|big-dump|long-backfill ...]
        [--history-days 400] [--sample 20]

Measures, side by side in one run (--only: just the parts named, e.g. a quick `--only one-dump`):

1. one dump: `ingest` (a fresh process: imports, parse, Parquet, manifest) against
   `gzip -dc dump.sql.gz > /dev/null` and against ISA-L's `igzip -d -c dump.sql.gz > /dev/null`
   (the `igzip` binary if on PATH, else `python -m isal.igzip`: the inflater `ingest` uses, so
   the floor of the reader thread), interleaved, median of --repeat runs -> ratio to each
   (goal <= 3 against gzip -dc);
2. the `tenants` section alone, parsed in memory on one core (no reader thread) -> MB/s (>= 50);
3. a backfill of --days dumps with the default workers (all CPUs) -> wall time, CPU use; and the
   first --speedup-days dumps with 1 worker, then 2 -> what the second core buys;
4. peak memory (VmHWM) of (1), of the backfill's workers, and of a dump made --big-factor
   times larger with unrelated tables (memory must not grow with the dump);
5. ``long-backfill`` (not in the default run: ~3 min): the backfill of a --history-days history
   (goal: 400 dumps <= 90 s), estimated from a sample: every (--history-days / --sample)-th
   day of that simulation is rendered (gzip level 6, like `mysqldump | gzip`; a day's dump
   grows with the history behind it, so the sample spans it) and ingested with the default
   workers; the estimate is the sample's wall time x history-days / sample. Same-run
   baselines: `gzip -dc` and `igzip -d -c` of the sample's files one after the other (one
   core), and igzip's time over the cores (the floor of inflating alone).

The dumps come from the demo generator (`demo.generate.generate_dumps`, profile `realistic`),
made once into --workdir and reused. Other work on the machine skews figures: the load average
is printed before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lake.config import load_config  # noqa: E402

START = dt.date(2024, 3, 1)
#: the parts of the run, in order (--only picks some)
PARTS = ("one-dump", "tenants", "backfill", "workers", "big-dump", "long-backfill")
#: what runs without --only
DEFAULT_PARTS = PARTS[:-1]

_CHILD = r"""
import json, os, resource, sys, threading, time, datetime as dt
t0 = time.perf_counter()
from lake.config import load_config
from loaders.ingest import ingest

# peak memory from /proc (VmHWM): ru_maxrss would include the RSS a process inherits by fork
# before exec, i.e. the benchmark's own memory
peaks = {"self": 0, "worker": 0, "tree": 0}

def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            vals = dict(line.split(":", 1) for line in fh if line.startswith(("VmHWM", "VmRSS")))
        return int(vals["VmHWM"].split()[0]) // 1024, int(vals["VmRSS"].split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        return 0, 0

def descendants(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                kids = [int(x) for x in fh.read().split()]
            for k in kids:
                out += [k] + descendants(k)
    except OSError:
        pass
    return out

def sample():
    me = os.getpid()
    while True:
        h, rss = hwm(me)
        peaks["self"] = max(peaks["self"], h)
        tree = rss
        for k in descendants(me):
            kh, krss = hwm(k)
            peaks["worker"] = max(peaks["worker"], kh)
            tree += krss
        peaks["tree"] = max(peaks["tree"], tree)
        time.sleep(0.05)

threading.Thread(target=sample, daemon=True).start()
cfg = load_config(sys.argv[1], environ={})
start = dt.date.fromisoformat(sys.argv[2]) if sys.argv[2] != "-" else None
end = dt.date.fromisoformat(sys.argv[3]) if sys.argv[3] != "-" else None
workers = int(sys.argv[4])
t1 = time.perf_counter()
r = ingest(cfg, start=start, end=end, force=True, workers=workers, progress=open(os.devnull, "w"))
t2 = time.perf_counter()
assert r.ok, r.failures
time.sleep(0.1)
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "seconds": t2 - t0, "ingest_seconds": t2 - t1, "days": len(r.written_days), "rows": r.rows,
    "sql_bytes": sum(x.sql_bytes for x in r.results), "raw_bytes": sum(x.raw_bytes for x in r.results),
    "maxrss_mb": max(peaks["self"], hwm(os.getpid())[0]), "children_maxrss_mb": peaks["worker"],
    "tree_peak_mb": peaks["tree"],
    "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
}))
"""


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def write_config(workdir: Path, dumps: Path, lake: Path) -> str:
    path = workdir / f"config-{lake.name}.yaml"
    path.write_text(f"lake: {{root: {lake}}}\nsource: {{root: {dumps}}}\n", encoding="utf-8")
    return str(path)


def run_child(config: str, start: str, end: str, workers: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, config, start, end, str(workers)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def igzip_command() -> list[str]:
    """ISA-L's command-line inflater: the C binary where installed (apt `isal`), else the `isal`
    package's Python one (interpreter start included, as for `ingest`)."""
    binary = shutil.which("igzip")
    return [binary] if binary else [sys.executable, "-m", "isal.igzip"]


def inflate_seconds(command: list[str], path: Path) -> float:
    """Wall seconds of `command -d -c path > /dev/null` (gzip or igzip)."""
    t = time.perf_counter()
    with open(os.devnull, "wb") as null:
        subprocess.run([*command, "-d", "-c", str(path)], stdout=null, check=True)
    return time.perf_counter() - t


def ensure_dumps(workdir: Path, days: int) -> Path:
    from demo.generate import generate_dumps

    dumps = workdir / "dumps"
    have = sorted(dumps.glob("*.sql.gz")) if dumps.exists() else []
    if len(have) >= days:
        return dumps
    cfg = load_config(str(REPO / "config.yaml"), environ={})
    print(f"generating {days} realistic dumps into {dumps} ...", flush=True)
    report = generate_dumps(cfg, str(dumps), START, days, profile="realistic", workers=0)
    print("  " + report.summary(), flush=True)
    return dumps


def tenants_section(sql: bytes) -> bytes:
    """From `CREATE TABLE tenants` to the end of its data, plus a trailer (a dump of one table)."""
    start = sql.index(b"\nCREATE TABLE `tenants`") + 1
    last = [m.end() for m in re.finditer(rb"\nINSERT INTO `tenants`", sql)][-1]
    end = sql.index(b";\n", last) + 2
    return sql[start:end] + b"-- Dump completed on 2024-03-01  0:00:00\n"


def parse_tenants_one_core(section: bytes, repeat: int) -> float:
    """Seconds to parse and convert the tenants section in this thread only (best of `repeat`)."""
    from loaders.dumpreader import DumpParser, wanted_tables
    from loaders.stream import ChunkReader

    cfg = load_config(str(REPO / "config.yaml"), environ={})
    best = float("inf")
    for _ in range(repeat):
        chunks = [section[i : i + (1 << 20)] for i in range(0, len(section), 1 << 20)]
        wanted = wanted_tables(cfg, "bench")
        t = time.perf_counter()
        DumpParser(ChunkReader(iter(chunks)), "bench", wanted).run()
        table = wanted["tenants"].builder.finish()
        best = min(best, time.perf_counter() - t)
    assert table.num_rows > 0
    return best


def big_dump(src: Path, out: Path, factor: int) -> int:
    """`src` with its unrelated tables' data repeated `factor` times (tenants etc. once)."""
    sql = gzip.decompress(src.read_bytes())
    pieces, pos = [], 0
    while True:  # every INSERT of another table (`;\n` ends a statement: strings escape \n)
        pos = sql.find(b"\nINSERT INTO `", pos)
        if pos < 0:
            break
        name = sql[pos + 14 : sql.index(b"`", pos + 14)]
        end = sql.index(b";\n", pos) + 2
        if name not in (b"tenants", b"rooms", b"apartments"):
            pieces.append(sql[pos + 1 : end])
        pos = end - 1
    noise = b"".join(pieces)
    trailer = sql.rindex(b"\n-- Dump completed") + 1
    with gzip.open(out, "wb", compresslevel=1) as fh:
        fh.write(sql[:trailer])
        for _ in range(factor - 1):
            fh.write(noise)
        fh.write(sql[trailer:])
    return len(sql) + (factor - 1) * len(noise)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", default="/tmp/bench-ingest")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big-factor", type=int, default=4)
    ap.add_argument("--speedup-days", type=int, default=10, help="dumps ingested with 1 and with 2 workers")
    ap.add_argument("--history-days", type=int, default=400, help="long-backfill: the history's days")
    ap.add_argument("--sample", type=int, default=20, help="long-backfill: dumps rendered and ingested")
    ap.add_argument(
        "--only", nargs="+", choices=PARTS, default=list(DEFAULT_PARTS), help="run only these parts"
    )
    args = ap.parse_args()
    parts = set(args.only)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {load()}  (cpus: {os.cpu_count()})", flush=True)
    ok = True
    peaks: list[int] = []
    if "long-backfill" in parts:
        ok &= long_backfill(args, workdir)["estimate_s"] <= 90
    if parts - {"long-backfill"}:
        ok &= on_the_dumps(args, workdir, parts, peaks)
    print(f"load average after: {load()}", flush=True)
    ok &= max(peaks, default=0) < 1024
    print("targets met" if ok else "TARGETS MISSED", flush=True)
    return 0 if ok else 1


def on_the_dumps(args: argparse.Namespace, workdir: Path, parts: set[str], peaks: list[int]) -> bool:
    """Parts 1-4, on the --days dumps of --workdir; appends their peak memory to `peaks`."""
    # the other parts read the first dump only: make no more dumps than the parts run need
    needed = max([1] + [args.days] * ("backfill" in parts) + [args.speedup_days] * ("workers" in parts))
    dumps = ensure_dumps(workdir, needed)
    first = sorted(dumps.glob("*.sql.gz"))[0]
    day = dt.datetime.strptime(first.name[:8], "%Y%m%d").date().isoformat()
    ok = True
    if "one-dump" in parts:
        one = one_dump(args, workdir, dumps, first, day)
        ok &= one["ratio_process"] <= 3
        peaks.append(one["maxrss_mb"])
    if "tenants" in parts:
        ok &= tenants_one_core(args, first)["mb_per_s"] >= 50
    if "backfill" in parts:
        peaks.append(backfill_all(workdir, dumps)["worker_maxrss_mb"])
    if "workers" in parts:
        workers_1_vs_2(args, workdir, dumps)
    if "big-dump" in parts:
        peaks.append(big_dump_memory(args, workdir, first, day)["maxrss_mb"])
    return ok


def one_dump(args: argparse.Namespace, workdir: Path, dumps: Path, first: Path, day: str) -> dict:
    """1. one dump vs gzip -dc and vs igzip -d -c, interleaved."""
    lake = workdir / "lake-one"
    shutil.rmtree(lake, ignore_errors=True)
    cfg1 = write_config(workdir, dumps, lake)
    igzip = igzip_command()
    gz, igz, ing, inner, rss = [], [], [], [], []
    for _ in range(args.repeat):
        gz.append(inflate_seconds(["gzip"], first))
        igz.append(inflate_seconds(igzip, first))
        r = run_child(cfg1, day, day, 1)
        ing.append(r["seconds"])
        inner.append(r["ingest_seconds"])
        rss.append(r["maxrss_mb"])
    sql_mb = r["sql_bytes"] / 1e6
    one = {
        "dump": first.name,
        "gz_mb": first.stat().st_size / 1e6,
        "sql_mb": sql_mb,
        "gzip_dc_s": statistics.median(gz),
        "igzip": "igzip" if len(igzip) == 1 else "python -m isal.igzip",
        "igzip_dc_s": statistics.median(igz),
        "ingest_process_s": statistics.median(ing),
        "ingest_call_s": statistics.median(inner),
        "maxrss_mb": max(rss),
    }
    one["ratio_process"] = one["ingest_process_s"] / one["gzip_dc_s"]
    one["ratio_call"] = one["ingest_call_s"] / one["gzip_dc_s"]
    one["ratio_process_igzip"] = one["ingest_process_s"] / one["igzip_dc_s"]
    one["ratio_call_igzip"] = one["ingest_call_s"] / one["igzip_dc_s"]
    print(json.dumps({"one_dump": one}, indent=1), flush=True)
    return one


def tenants_one_core(args: argparse.Namespace, first: Path) -> dict:
    """2. tenants section on one core."""
    sql = gzip.decompress(first.read_bytes())
    section = tenants_section(sql)
    del sql
    secs = parse_tenants_one_core(section, args.repeat)
    tenants = {"section_mb": len(section) / 1e6, "seconds": secs, "mb_per_s": len(section) / 1e6 / secs}
    del section
    print(json.dumps({"tenants_one_core": tenants}, indent=1), flush=True)
    return tenants


def backfill_all(workdir: Path, dumps: Path) -> dict:
    """3. backfill of all dumps with the default workers (0 = all CPUs)."""
    lake = workdir / "lake-backfill"
    shutil.rmtree(lake, ignore_errors=True)
    r = run_child(write_config(workdir, dumps, lake), "-", "-", 0)
    backfill = {
        "dumps": r["days"],
        "wall_s": r["seconds"],
        "ingest_s": r["ingest_seconds"],
        "gz_mb": r["raw_bytes"] / 1e6,
        "sql_mb": r["sql_bytes"] / 1e6,
        "sql_mb_per_s": r["sql_bytes"] / 1e6 / r["ingest_seconds"],
        "rows": r["rows"],
        "cpu_s": r["cpu_seconds"],
        "cores_busy": r["cpu_seconds"] / r["seconds"],
        "worker_maxrss_mb": r["children_maxrss_mb"],
        "parent_maxrss_mb": r["maxrss_mb"],
        "all_processes_peak_mb": r["tree_peak_mb"],
    }
    print(json.dumps({"backfill": backfill}, indent=1), flush=True)
    return backfill


def long_backfill(args: argparse.Namespace, workdir: Path) -> dict:
    """5. the backfill of --history-days dumps, estimated from --sample of them spread over the history."""
    from demo.generate import generate_dumps

    step = max(1, args.history_days // args.sample)
    days = [START + dt.timedelta(days=i) for i in range(step - 1, args.history_days, step)][: args.sample]
    dumps = workdir / f"dumps-{args.history_days}-sample-{len(days)}"
    if len(list(dumps.glob("*.sql.gz"))) != len(days):
        shutil.rmtree(dumps, ignore_errors=True)
        cfg = load_config(str(REPO / "config.yaml"), environ={})
        print(f"rendering {len(days)} of {args.history_days} realistic days into {dumps} ...", flush=True)
        generate_dumps(
            cfg, str(dumps), START, args.history_days, profile="realistic", workers=0,
            compresslevel=6, only=set(days),
        )  # fmt: skip
    files = sorted(dumps.glob("*.sql.gz"))
    igzip = igzip_command()
    gzip_s = sum(inflate_seconds(["gzip"], f) for f in files)
    igzip_s = sum(inflate_seconds(igzip, f) for f in files)
    lake = workdir / "lake-long-backfill"
    shutil.rmtree(lake, ignore_errors=True)
    r = run_child(write_config(workdir, dumps, lake), "-", "-", 0)
    scale = args.history_days / len(files)
    cores = os.cpu_count() or 1
    out = {
        "history_days": args.history_days,
        "sample_dumps": len(files),
        "sample_days": f"{files[0].name[:8]}..{files[-1].name[:8]} every {step} days",
        "gz_mb": sum(f.stat().st_size for f in files) / 1e6,
        "sql_mb": r["sql_bytes"] / 1e6,
        "ingest_wall_s": r["seconds"],
        "cpu_s": r["cpu_seconds"],
        "gzip_dc_one_core_s": gzip_s,
        "igzip_dc_one_core_s": igzip_s,
        "estimate_s": r["seconds"] * scale,
        "estimate_gzip_dc_one_core_s": gzip_s * scale,
        "estimate_igzip_floor_s": igzip_s * scale / cores,
        "ratio_to_gzip_dc_one_core": r["seconds"] / gzip_s,
        "ratio_to_igzip_floor": r["seconds"] / (igzip_s / cores),
    }
    print(json.dumps({"long_backfill": out}, indent=1), flush=True)
    return out


def workers_1_vs_2(args: argparse.Namespace, workdir: Path, dumps: Path) -> dict:
    """3b. the same first --speedup-days dumps with 1 worker and with 2: what the 2nd core buys."""
    names = sorted(dumps.glob("*.sql.gz"))[: args.speedup_days]
    first_day, last_day = (
        dt.datetime.strptime(p.name[:8], "%Y%m%d").date().isoformat() for p in (names[0], names[-1])
    )
    speedup = {"dumps": len(names)}
    for workers in (1, 2):
        lake = workdir / f"lake-w{workers}"
        shutil.rmtree(lake, ignore_errors=True)
        r = run_child(write_config(workdir, dumps, lake), first_day, last_day, workers)
        speedup[f"wall_s_{workers}_worker"] = r["seconds"]
        speedup[f"cores_busy_{workers}_worker"] = r["cpu_seconds"] / r["seconds"]
    speedup["speedup"] = speedup["wall_s_1_worker"] / speedup["wall_s_2_worker"]
    print(json.dumps({"workers_1_vs_2": speedup}, indent=1), flush=True)
    return speedup


def big_dump_memory(args: argparse.Namespace, workdir: Path, first: Path, day: str) -> dict:
    """4. a dump `big-factor` times larger (more unrelated data): memory must stay flat."""
    big_dir = workdir / "dumps-big"
    big_dir.mkdir(exist_ok=True)
    big_sql = big_dump(first, big_dir / first.name, args.big_factor)
    lake = workdir / "lake-big"
    shutil.rmtree(lake, ignore_errors=True)
    r = run_child(write_config(workdir, big_dir, lake), day, day, 1)
    big = {"sql_mb": big_sql / 1e6, "seconds": r["seconds"], "maxrss_mb": r["maxrss_mb"]}
    print(json.dumps({"big_dump": big}, indent=1), flush=True)
    return big


if __name__ == "__main__":
    sys.exit(main())
