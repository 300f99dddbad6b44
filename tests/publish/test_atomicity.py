"""A publish process killed at any point leaves every table old, or every table new.

The `lakehouse publish` subprocess is frozen at a named checkpoint (LAKEHOUSE_PUBLISH_PAUSE_AT)
or at a random moment after it took its MySQL lock, then SIGKILLed. All tables change in one
transaction, so before the COMMIT every published table equals exactly the previous publish
(also while the process is frozen), after it every table equals the new warehouse; the next
run finishes the job and no staging table exists at any time.
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
from tests.publish.conftest import LAKEHOUSE, SNAPSHOT_DAYS, cli_env, read_all, staging_tables
from tests.publish.warehouses import V1, V2, expected, write_warehouse


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
        ("begun", ALL_OLD),
        ("wrote-occupancy_daily_metrics", ALL_OLD),
        ("wrote-tenant_status_transitions", ALL_OLD),
        ("written", ALL_OLD),
        ("committed", ALL_NEW),
    ],
)
def test_killed_at_a_checkpoint_every_table_is_old_or_every_table_new(
    pub_config, root, tmp_path, point, state
):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    marker = str(tmp_path / "paused")
    proc = _start(pub_config, point, marker)
    try:
        _wait_for(marker, proc)
        # frozen mid-run: readers see all tables old (or, once committed, all new)
        assert _classify(read_all(root, pub_config), OLD, NEW) == state
        assert staging_tables(root, pub_config) == []
    finally:
        _kill(proc)
    _wait_lock_free(root, pub_config)
    assert _classify(read_all(root, pub_config), OLD, NEW) == state

    publish(pub_config)
    assert read_all(root, pub_config) == NEW
    assert staging_tables(root, pub_config) == []


@pytest.mark.parametrize("point", ["prepared", "wrote-tenant_status_history", "written", "committed"])
def test_killed_while_restoring_an_empty_mysql_tables_are_all_empty_or_all_complete(
    pub_config, root, tmp_path, point
):
    """The DDL step creates the (empty) tables; they fill all together at the COMMIT."""
    write_warehouse(pub_config.warehouse.path, V2)
    marker = str(tmp_path / "paused")
    proc = _start(pub_config, point, marker)
    try:
        _wait_for(marker, proc)
    finally:
        _kill(proc)
    _wait_lock_free(root, pub_config)
    got = read_all(root, pub_config)
    if point == "committed":
        assert got == NEW
    else:
        assert got == dict.fromkeys(NEW, set())
    publish(pub_config)
    assert read_all(root, pub_config) == NEW


def test_killed_at_random_moments_every_table_is_old_or_every_table_new(pub_config, root):
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
        assert set(_classify(read_all(root, pub_config), OLD, NEW).values()) in ({"old"}, {"new"})
        # put MySQL back to the old state for the next round
        write_warehouse(pub_config.warehouse.path, V1)
        publish(pub_config)
        assert read_all(root, pub_config) == OLD
        write_warehouse(pub_config.warehouse.path, V2)
