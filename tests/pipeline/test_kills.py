"""Crash safety with real processes: kill -9 at many moments, SIGTERM, orphaned workers (SPEC §6).

A run killed at any moment loses nothing: the next run converges to what a clean build from
the same lake gives, every committed lake day is whole (all of its files present, as the
manifest says), and a dead run's lock does not block the next run.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import signal
import time
from pathlib import Path

import pytest

from demo.generate import generate_dumps, render_dump_text
from lake.manifest import committed_days
from lake.storage import storage_for
from tests.pipeline.conftest import make_deployment, product_rows
from tests.pipeline.test_daily import START

# end to end with the real SQLMesh: `make test` runs them, a plain `pytest` does not
pytestmark = pytest.mark.slow

DAYS = [START + dt.timedelta(days=i) for i in range(6)]
#: the moments `lakehouse daily` is killed at: the first log line containing the text (None: a
#: time after the start), then the delay in seconds. Start-up, between the corrected days of the
#: re-ingest, the plan diff, in the middle of the restatement, the run, persisting.
KILL_AT = (
    (None, 0.3),
    ("ingest [1/3]", 0.0),
    ("ingest [2/3]", 0.0),
    ("ingest done", 0.0),
    ("Models selected for restatement", 0.0),
    ("silver.tenant_daily_snapshots ", 0.0),
    ("silver.tenant_status_history ", 0.0),
    ("gold.tenant_status_transitions ", 0.0),
    ("models done", 0.0),
)


def corrected(dep, day: dt.date, holds: dt.date) -> None:
    path = os.path.join(dep.config.source.root, dep.config.source.key_pattern.format(date=day))
    with open(path, "wb") as fh:
        fh.write(gzip.compress(render_dump_text(START, holds, days=len(DAYS)), 1))


def assert_lake_days_whole(config) -> None:
    """Every committed day names files that exist and hold exactly what the manifest says."""
    storage = storage_for(config.lake.root, config)
    for day in committed_days(config).values():
        for table, uri in day.files.items():
            data = storage.read_bytes(uri)
            assert hashlib.sha256(data).hexdigest() == day.entry["tables"][table]["sha256"], (day.day, table)


def kill_at(proc, text, delay: float) -> str:
    """SIGKILL `proc` `delay` s after its stderr shows `text` (or after its start); returns its log."""
    seen: list[str] = []
    if text is None:
        time.sleep(delay)
    else:
        for line in proc.stderr:
            seen.append(line)
            if text in line:
                break
        time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    return "".join(seen) + proc.stderr.read()


def stage_reached(stderr: str) -> str:
    """Where a killed `lakehouse daily` was, from its log."""
    if "models done" in stderr:
        return "after models"
    if "ingest done" in stderr:
        return "models"
    if "ingest [" in stderr:
        return "ingest"
    return "start-up"


def wait_exit(proc, seconds: float = 30) -> int:
    try:
        return proc.wait(seconds)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("persisted", [False, True], ids=["warehouse-in-place", "warehouse-persisted"])
def test_kill_9_at_any_moment_of_a_corrected_reingest_converges_to_a_clean_build(tmp_path, persisted):
    sections = {"ingest": {"workers": 2}}
    if persisted:  # an ephemeral task with the warehouse persisted on a mounted volume
        sections["warehouse"] = {"persist_uri": str(tmp_path / "volume" / "warehouse.duckdb")}
    dep = make_deployment(tmp_path, **sections)
    generate_dumps(dep.config, dep.config.source.root, START, len(DAYS), profile="small")
    first = dep.run("task", "daily")
    assert first.returncode == 0, first.stderr

    landed = []
    for i, (text, delay) in enumerate(KILL_AT):
        # every round brings corrected dumps of three older days (each holding another day's
        # rows), so every killed run has a re-ingest to be caught in
        for k, day in enumerate(DAYS[1:4]):
            corrected(dep, day, DAYS[(i + 2 * k + 3) % len(DAYS)])
        proc = dep.start("task" if not persisted else f"task{i}", "-v", "daily")  # -v: the moments
        log = kill_at(proc, text, delay)
        landed.append((text or f"{delay} s", stage_reached(log)))
        assert_lake_days_whole(dep.config)

    final = dep.run("task-final", "daily")
    assert final.returncode == 0, final.stdout + final.stderr  # the dead runs' locks did not block it
    clean = dep.run("clean", "models", LAKEHOUSE__WAREHOUSE__PERSIST_URI="null")
    assert clean.returncode == 0 and "first build" in clean.stdout, clean.stderr
    assert product_rows(dep.warehouse("task-final" if persisted else "task")) == product_rows(
        dep.warehouse("clean")
    )
    print(f"kills (moment, stage reached): {landed}")
    stages = [stage for _, stage in landed]
    assert stages.count("ingest") >= 1 and stages.count("models") >= 3, landed  # they hit the job mid-way


def start_holding_the_lock(dep, lock: Path):
    """`lakehouse daily` started, once it holds the warehouse lock."""
    proc = dep.start("task", "daily")
    deadline = time.monotonic() + 30
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock.exists()
    return proc


def test_sigterm_releases_the_lock_and_the_next_run_starts_at_once(tmp_path):
    dep = make_deployment(tmp_path)
    generate_dumps(dep.config, dep.config.source.root, START, 3, profile="small")
    lock = Path(dep.warehouse("task") + ".lock")
    proc = start_holding_the_lock(dep, lock)
    time.sleep(1.0)  # inside the job
    proc.send_signal(signal.SIGTERM)  # what ECS sends before it stops a task
    assert wait_exit(proc) == 128 + signal.SIGTERM
    err = proc.stderr.read()
    assert "terminated by signal 15" in err and "the lock was released" in err, err
    assert not lock.exists()
    t0 = time.monotonic()
    nxt = dep.run("task", "daily")
    assert nxt.returncode == 0, nxt.stderr
    assert time.monotonic() - t0 < 60


def test_kill_9_leaves_a_lock_the_next_run_on_the_same_host_takes_at_once(tmp_path):
    dep = make_deployment(tmp_path)
    generate_dumps(dep.config, dep.config.source.root, START, 3, profile="small")
    lock = Path(dep.warehouse("task") + ".lock")
    proc = start_holding_the_lock(dep, lock)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert lock.exists()  # nobody could delete it
    nxt = dep.run("task", "daily")
    assert nxt.returncode == 0, nxt.stderr
    assert "held by" not in nxt.stderr


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_of_ingest_takes_its_worker_processes_with_it(tmp_path):
    dep = make_deployment(tmp_path, ingest={"workers": 2})
    generate_dumps(dep.config, dep.config.source.root, START, 40, profile="small")
    proc = dep.start("task", "ingest")
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = [
            p for p in _children(proc.pid) if "multiprocessing" in Path(f"/proc/{p}/cmdline").read_text()
        ]
        time.sleep(0.02)
    assert len(workers) >= 2, "the ingest never had two workers running"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)], "orphaned ingest workers are still running"
    assert_lake_days_whole(dep.config)


def test_sigterm_of_a_backfill_stops_its_workers_now_and_releases_the_lock(tmp_path):
    dep = make_deployment(tmp_path, ingest={"workers": 2})
    generate_dumps(dep.config, dep.config.source.root, START, 60, profile="small")
    lock = Path(dep.warehouse("task") + ".lock")
    proc = dep.start("task", "ingest")
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = [p for p in _children(proc.pid) if b"spawn_main" in _cmdline(p)]
        time.sleep(0.02)
    assert len(workers) >= 2
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert wait_exit(proc) == 128 + signal.SIGTERM
    assert time.monotonic() - t0 < 5  # not after the remaining days
    assert not [w for w in workers if _alive(w)] and not lock.exists()
    assert_lake_days_whole(dep.config)
    done = dep.run("task", "ingest")  # the next run loads the rest
    assert done.returncode == 0, done.stderr
    assert len(committed_days(dep.config)) == 60
