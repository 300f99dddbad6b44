"""The warehouse lock: one holder at a time, locally and on S3; stale locks are taken over once."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from lake.storage import storage_for
from pipeline.lock import LockHeld, WarehouseLock, lock_uri


@pytest.fixture(params=["local", "s3"])
def config(request, local_config, tmp_path):
    if request.param == "local":
        return local_config
    s3_config = request.getfixturevalue("s3_config")
    persist = f"s3://state/{tmp_path.name}/warehouse.duckdb"
    return s3_config.replace(warehouse=dataclasses.replace(s3_config.warehouse, persist_uri=persist))


def test_second_run_is_refused_while_the_first_holds_the_lock(config):
    with WarehouseLock(config, purpose="first run"):
        with pytest.raises(LockHeld) as err:
            WarehouseLock(config).acquire()
        assert "held by first run" in str(err.value)
        assert lock_uri(config) in str(err.value)
    # released: the next run gets it
    with WarehouseLock(config):
        pass
    assert storage_for(lock_uri(config), config).stat(lock_uri(config)) is None


def test_stale_lock_is_taken_over_by_exactly_one_run(config):
    uri = lock_uri(config)
    storage = storage_for(uri, config)
    dead = {"token": "dead", "host": "gone", "pid": 1, "purpose": "crashed run"}
    dead.update(acquired_at=0, expires_at=1)
    storage.put_if_absent(uri, json.dumps(dead).encode())
    first = WarehouseLock(config).acquire()
    try:
        with pytest.raises(LockHeld):
            WarehouseLock(config).acquire()
        held = json.loads(storage.read_bytes(uri))
        assert held["token"] == first.token
        assert held["expires_at"] > time.time()
    finally:
        first.release()


def test_release_does_not_delete_a_lock_someone_else_took(config):
    mine = WarehouseLock(config).acquire()
    uri = lock_uri(config)
    storage = storage_for(uri, config)
    storage.delete(uri)  # e.g. an operator removed it and another run took it
    other = WarehouseLock(config).acquire()
    mine.release()
    assert json.loads(storage.read_bytes(uri))["token"] == other.token
    other.release()
