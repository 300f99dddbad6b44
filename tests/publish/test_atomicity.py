"""A publish process killed at any point leaves every table fully old or fully new.

The `lakehouse publish` subprocess is frozen at a named checkpoint (LAKEHOUSE_PUBLISH_PAUSE_AT)
or at a random moment after it took its MySQL lock, then SIGKILLed. Every published table must
then equal exactly the previous publish or exactly the new warehouse, and the next run cleans
up the staging tables and finishes the job.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from typing import Any, Optional

import pytest

from publish.publisher import lock_name, publish
from tests.publish.conftest import LAKEHOUSE, SNAPSHOT_DAYS, cli_env, read_all, tables_in
from tests.publish.warehouses import V1, V2, expected, write_warehouse

SNAPSHOT = "silver.tenant_room_snapshot_daily"


def _start(config: Any, pause: Optional[str], marker: str) -> subprocess.Popen:
    extra = {"LAKEHOUSE_PUBLISH_PAUSE_AT": f"{pause}:{marker}"} if pause else {}
    return subprocess.Popen(
        [*LAKEHOUSE, "publish"], env=cli_env(config, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _wait_for(path: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise AssertionError(f"publish ended before the checkpoint: {proc.stderr.read().decode()}")
        assert time.time() < deadline, "checkpoint not reached"
        time.sleep(0.05)


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()


def _wait_lock_free(root: Any, config: Any) -> None:
    """The server notices the dead client (and rolls back its transaction) before we look."""
    deadline = time.time() + 30
    with root.cursor() as cur:
        while True:
            cur.execute("SELECT IS_USED_LOCK(%s)", (lock_name(config),))
            if cur.fetchone()[0] is None:
                return
            assert time.time() < deadline, "the killed publish still holds its lock"
            time.sleep(0.1)


def _classify(got: dict, old: dict, new: dict) -> dict[str, str]:
    out = {}
    for name, rows in got.items():
        if rows == new[name]:
            out[name] = "new"
        elif rows == old[name]:
            out[name] = "old"
        else:
            raise AssertionError(f"{name} is neither old nor new: {sorted(rows or [])}")
    return out


OLD = expected(V1, SNAPSHOT_DAYS)
NEW = expected(V2, SNAPSHOT_DAYS)
ALL_OLD = dict.fromkeys(OLD, "old")
ALL_NEW = dict.fromkeys(OLD, "new")


@pytest.mark.parametrize(
    "point, state",
    [
        ("prepared", ALL_OLD),
        ("staged", ALL_OLD),
        ("window-written", ALL_OLD),
        ("window-committed", {**ALL_OLD, SNAPSHOT: "new"}),
        ("swapped", ALL_NEW),
    ],
)
def test_killed_at_a_checkpoint(pub_config, root, tmp_path, point, state):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    marker = str(tmp_path / "paused")
    proc = _start(pub_config, point, marker)
    try:
        _wait_for(marker, proc)
        # frozen mid-run: readers see only complete tables
        assert _classify(read_all(root, pub_config), OLD, NEW) == state
    finally:
        _kill(proc)
    _wait_lock_free(root, pub_config)
    assert _classify(read_all(root, pub_config), OLD, NEW) == state

    publish(pub_config)
    assert read_all(root, pub_config) == NEW
    for db in {*pub_config.mysql.databases.values(), pub_config.mysql.log_database}:
        assert not [t for t in tables_in(root, db) if "__pub_" in t], "staging tables left behind"


@pytest.mark.parametrize("point", ["staged", "window-committed", "swapped"])
def test_killed_while_restoring_an_empty_mysql(pub_config, root, tmp_path, point):
    """Tables that did not exist either still do not exist or are complete."""
    write_warehouse(pub_config.warehouse.path, V2)
    marker = str(tmp_path / "paused")
    proc = _start(pub_config, point, marker)
    try:
        _wait_for(marker, proc)
    finally:
        _kill(proc)
    _wait_lock_free(root, pub_config)
    got = read_all(root, pub_config)
    for name, rows in got.items():
        assert rows is None or rows == NEW[name], name
    assert (got[SNAPSHOT] is None) == (point != "swapped")
    publish(pub_config)
    assert read_all(root, pub_config) == NEW


def test_killed_at_random_moments(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    rng = random.Random(20260211)
    for _ in range(4):
        proc = _start(pub_config, None, "")
        try:
            with root.cursor() as cur:  # wait until it is talking to MySQL, then a random delay
                deadline = time.time() + 60
                while proc.poll() is None and time.time() < deadline:
                    cur.execute("SELECT IS_USED_LOCK(%s)", (lock_name(pub_config),))
                    if cur.fetchone()[0] is not None:
                        break
                    time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.4))
        finally:
            _kill(proc)
        _wait_lock_free(root, pub_config)
        _classify(read_all(root, pub_config), OLD, NEW)
        # put MySQL back to the old state for the next round
        write_warehouse(pub_config.warehouse.path, V1)
        publish(pub_config)
        assert read_all(root, pub_config) == OLD
        write_warehouse(pub_config.warehouse.path, V2)
