"""The warehouse lock, with real processes, locally and on a real S3 server (SeaweedFS).

One holder at any moment, whatever the interleaving; a dead holder's lock is taken over at once
on the same host and after its TTL elsewhere; a live holder keeps it by its heartbeat; an
unreadable lock is never taken over; S3 failures are bounded and reported as one line.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
import random
import signal
import socket
import time

import pytest

from lake.errors import LockHeld, LockLost, S3Unavailable, StorageError
from lake.storage import storage_for
from pipeline.lock import WarehouseLock, lock_uri
from tests.s3proxy import S3Proxy

FORK = multiprocessing.get_context("fork")


def _with(config, ttl=None, endpoint=None, **s3):
    wh = config.warehouse if ttl is None else dataclasses.replace(config.warehouse, lock_ttl_seconds=ttl)
    s3cfg = dataclasses.replace(config.s3, **({"endpoint": endpoint} if endpoint else {}), **s3)
    return config.replace(warehouse=wh, s3=s3cfg)


def _on_s3(s3_config, tmp_path):
    persist = f"s3://state/{tmp_path.name}/warehouse.duckdb"
    return s3_config.replace(warehouse=dataclasses.replace(s3_config.warehouse, persist_uri=persist))


@pytest.fixture(params=["local", "s3"])
def config(request, local_config, tmp_path):
    if request.param == "local":
        return local_config
    return _on_s3(request.getfixturevalue("s3_config"), tmp_path)


def _storage(config):
    return storage_for(lock_uri(config), config)


def _body(**fields):
    now = time.time()
    body = {"token": "other", "purpose": "crashed run", "host": "elsewhere", "pid": 4242}
    body.update(acquired_at=now - 3600, renewed_at=now, expires_at=now + 10, ttl_seconds=10)
    body.update(fields)
    return json.dumps(body).encode()


def _wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


# ----------------------------------------------------------------------------- basics


def test_second_run_is_refused_while_the_first_holds_the_lock(config):
    with WarehouseLock(config, purpose="first run"):
        with pytest.raises(LockHeld) as err:
            WarehouseLock(config).acquire()
        msg = str(err.value)
        assert "held by first run" in msg and lock_uri(config) in msg
        assert socket.gethostname() in msg and f"pid {os.getpid()}" in msg and "since" in msg
        assert "\n" not in msg
    with WarehouseLock(config):  # released: the next run gets it
        pass
    assert _storage(config).stat(lock_uri(config)) is None


def test_release_is_idempotent_and_does_not_delete_a_lock_someone_else_took(config, caplog):
    mine = WarehouseLock(config).acquire()
    storage = _storage(config)
    storage.delete(lock_uri(config))  # e.g. an operator removed it and another run took it
    other = WarehouseLock(config).acquire()
    mine.release()
    mine.release()
    assert json.loads(storage.read_bytes(lock_uri(config)))["token"] == other.token
    assert "was not deleted: it was taken over" in caplog.text
    other.release()
    assert storage.stat(lock_uri(config)) is None


# ----------------------------------------------------------------------------- races


class _StartLine:
    """Many processes start at the same instant (a Barrier wakes 200 processes one by one)."""

    def __init__(self):
        self.ready, self.at = FORK.Value("i", 0), FORK.Value("d", 0.0)

    def wait(self):
        with self.ready.get_lock():
            self.ready.value += 1
        while self.at.value == 0.0:
            time.sleep(0.005)
        time.sleep(max(0.0, self.at.value - time.time()))

    def go(self, n, timeout=60):
        assert _wait_for(lambda: self.ready.value == n, timeout), f"{self.ready.value} of {n} ready"
        self.at.value = time.time() + 0.1


def _taker(lock, start, holding, overlaps, wins, refused, errors, window):
    """One of many processes: for `window` seconds take the lock whenever it is free, hold it
    20 ms and give it back; count the moments when more than one process held it."""
    start.wait()
    end = time.monotonic() + window
    while time.monotonic() < end:
        try:
            lock.acquire()
        except LockHeld:
            with refused.get_lock():
                refused.value += 1
            time.sleep(random.random() * 0.02)
            continue
        except Exception as exc:
            with errors.get_lock():
                errors.value += 1
            print(f"taker error: {type(exc).__name__}: {exc}", flush=True)
            return
        with holding.get_lock():
            holding.value += 1
            if holding.value > 1:
                overlaps.value += 1
        with wins.get_lock():
            wins.value += 1
        time.sleep(0.02)
        still_mine = json.loads(lock.storage.read_bytes(lock.uri)).get("token") == lock.token
        with holding.get_lock():
            holding.value -= 1
            if not still_mine:  # someone took it over while it was held
                overlaps.value += 1
        lock.release()
        time.sleep(random.random() * 0.01)


@pytest.mark.parametrize("start", ["free", "stale"])
def test_of_200_simultaneous_takers_exactly_one_holds_the_lock_at_any_moment(config, start):
    n = 200
    storage = _storage(config)
    if start == "stale":  # the first wave races to take over the same dead run's lock
        storage.put_if_absent(lock_uri(config), _body(renewed_at=0, expires_at=1))
    lock = WarehouseLock(config, purpose="racer")
    if not lock.uri.startswith("/"):  # a first S3 call costs 0.1 s of CPU: pay it once, before the fork,
        lock.storage.stat(lock.uri + ".warm-up")
        lock.storage._client.close()  # and close its connection: each child opens its own
    counters = [FORK.Value("i", 0) for _ in range(5)]
    holding, overlaps, wins, refused, errors = counters
    line = _StartLine()
    window = 2.0 if lock.uri.startswith("/") else 1.0  # 200 botocore processes on 2 cores are slow
    procs = [FORK.Process(target=_taker, args=(lock, line, *counters, window)) for _ in range(n)]
    for p in procs:
        p.start()
    line.go(n)
    for p in procs:
        p.join(120)
    print(f"{start} lock, {n} takers for {window} s: {wins.value} holds one after another, "
          f"{refused.value} refusals, {overlaps.value} overlapping holds")  # fmt: skip
    assert [p.exitcode for p in procs] == [0] * n
    assert errors.value == 0
    assert wins.value >= 1 and wins.value + refused.value >= n  # every taker tried at least once
    assert overlaps.value == 0
    assert storage.stat(lock_uri(config)) is None  # every winner released it


# ----------------------------------------------------------------------------- dead holders


def _hold_forever(config, ready):
    WarehouseLock(config, purpose="doomed run").acquire()
    ready.set()
    time.sleep(600)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_holder_killed_on_this_host_is_taken_over_at_once(config, sig):
    ready = FORK.Event()
    holder = FORK.Process(target=_hold_forever, args=(config, ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(LockHeld):
            WarehouseLock(config).acquire()
        os.kill(holder.pid, sig)
        _wait_for(lambda: not os.path.exists(f"/proc/{holder.pid}/status") or _zombie(holder.pid), 5)
        t0 = time.monotonic()
        lock = WarehouseLock(config, purpose="next run").acquire()  # the dead one is not yet reaped
        assert time.monotonic() - t0 < 1
        lock.release()
    finally:
        holder.kill()
        holder.join()


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_lock_whose_pid_now_belongs_to_another_process_is_taken_over_at_once(config):
    me = WarehouseLock(config).acquire()
    real = json.loads(_storage(config).read_bytes(lock_uri(config)))
    me.release()
    # this host, this (live) pid -- but the process that took the lock started at another time
    body = _body(host=real["host"], boot_id=real["boot_id"], pid_namespace=real["pid_namespace"])
    body = json.loads(body)
    body.update(pid=os.getpid(), pid_start=real["pid_start"] - 1)
    _storage(config).put_if_absent(lock_uri(config), json.dumps(body).encode())
    with WarehouseLock(config):
        pass
    # the same body with the right start time is a live holder: refused
    body["pid_start"] = real["pid_start"]
    _storage(config).put_if_absent(lock_uri(config), json.dumps(body).encode())
    with pytest.raises(LockHeld, match="its process is running on this host"):
        WarehouseLock(config).acquire()


def test_a_holder_on_another_host_is_taken_over_after_its_ttl_and_not_before(config):
    cfg = _with(config, ttl=10)
    storage = _storage(cfg)
    now = time.time()
    # a run on another machine renewed its 10 s lock 8.5 s ago and then fell silent
    storage.put_if_absent(lock_uri(cfg), _body(renewed_at=now - 8.5, expires_at=now + 1.5))
    with pytest.raises(LockHeld) as err:
        WarehouseLock(cfg).acquire()
    assert "held by crashed run on elsewhere (pid 4242)" in str(err.value)
    taken = None
    while taken is None and time.time() < now + 6:
        try:
            taken = WarehouseLock(cfg).acquire()
        except LockHeld:
            time.sleep(0.1)
    assert taken is not None, "not taken over after the TTL"
    assert now + 1.5 <= time.time() < now + 3
    taken.release()


# ----------------------------------------------------------------------------- live holders


def test_a_live_holders_heartbeat_keeps_its_lock_past_the_ttl(local_config, s3_config, tmp_path):
    locks = [
        WarehouseLock(_with(local_config, ttl=10), purpose="long run").acquire(),
        WarehouseLock(_with(_on_s3(s3_config, tmp_path), ttl=10), purpose="long run").acquire(),
    ]
    first = [json.loads(lk.storage.read_bytes(lk.uri))["renewed_at"] for lk in locks]
    time.sleep(11.5)
    for lock, renewed in zip(locks, first):
        lock.check()
        assert not lock.lost
        body = json.loads(lock.storage.read_bytes(lock.uri))
        assert body["token"] == lock.token and body["renewed_at"] > renewed + 5
        with pytest.raises(LockHeld):  # a taker (even in this very process) finds it alive
            WarehouseLock(lock.config).acquire()
        lock.release()
        assert lock.storage.stat(lock.uri) is None


def test_a_taken_over_holder_sees_its_lock_lost(config, caplog):
    cfg = _with(config, ttl=10)
    mine = WarehouseLock(cfg).acquire()
    mine.check()
    storage = _storage(cfg)
    storage.write_bytes(lock_uri(cfg), _body(token="thief", purpose="impatient run"))
    assert _wait_for(lambda: mine.lost, 4), "the heartbeat did not notice (renews every 2 s)"
    with pytest.raises(LockLost) as err:
        mine.check()
    assert "taken over (by impatient run on elsewhere, pid 4242)" in str(err.value)
    assert "must not persist" in str(err.value)
    mine.release()
    assert json.loads(storage.read_bytes(lock_uri(cfg)))["token"] == "thief"
    assert "was not deleted" in caplog.text


# ----------------------------------------------------------------------------- unreadable locks


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage\x00\xff", b'{"token": ""}', b'{"token": "t"}', b"[1, 2]"],
    ids=["empty", "garbage", "no-token", "no-expiry", "not-an-object"],
)
def test_an_empty_or_garbage_lock_is_never_taken_over(config, content):
    uri = lock_uri(config)
    _storage(config).write_bytes(uri, content)
    if not uri.startswith("s3://"):
        os.utime(uri, (0, 0))  # however old it looks
    with pytest.raises(LockHeld) as err:
        WarehouseLock(config).acquire()
    assert f"{uri} exists but is not a readable lock" in str(err.value)
    assert f"if no run is active, delete {uri}" in str(err.value)
    assert _storage(config).read_bytes(uri) == content


# ----------------------------------------------------------------------------- S3 failures


@pytest.fixture
def proxy(s3_server):
    with S3Proxy(s3_server.endpoint) as p:
        yield p


def test_acquire_on_a_hung_s3_endpoint_fails_within_the_bound_with_one_line(s3_config, tmp_path, proxy):
    cfg = _with(_on_s3(s3_config, tmp_path), endpoint=proxy.endpoint, connect_timeout=1, read_timeout=1)
    cfg = _with(cfg, max_attempts=2)
    proxy.hang()
    t0 = time.monotonic()
    with pytest.raises(S3Unavailable) as err:
        WarehouseLock(cfg).acquire()
    assert time.monotonic() - t0 < 5
    assert str(err.value) == (
        f"S3 at {proxy.endpoint} is not answering (read timeout 1 s x 2 attempts) "
        f"while creating {lock_uri(cfg)}"
    )


def test_a_failing_lock_put_is_a_storage_error_naming_the_lock_uri(s3_config, tmp_path, proxy):
    cfg = _with(_on_s3(s3_config, tmp_path), endpoint=proxy.endpoint, max_attempts=2)
    proxy.fail_puts(matching=".lock", status=500)
    with pytest.raises(StorageError) as err:
        WarehouseLock(cfg).acquire()
    assert not isinstance(err.value, S3Unavailable)
    assert str(err.value).startswith(
        f"S3 at {proxy.endpoint} refused creating {lock_uri(cfg)}: InternalError"
    )
    proxy.pass_through()
    assert _storage(cfg).stat(lock_uri(cfg)) is None


def _hold_then_lose_s3(config, ready, hang_now):
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True)
    lock = WarehouseLock(config, purpose="unlucky run").acquire()
    ready.set()
    assert hang_now.wait(30)
    lock.release()  # S3 hangs now: must warn in one line and return


def test_release_after_an_s3_error_warns_that_the_lock_will_expire_without_a_traceback(
    s3_config, tmp_path, proxy, capfd
):
    cfg = _with(_on_s3(s3_config, tmp_path), ttl=10, endpoint=proxy.endpoint)
    cfg = _with(cfg, connect_timeout=1, read_timeout=1, max_attempts=1)
    ready, hang_now = FORK.Event(), FORK.Event()
    holder = FORK.Process(target=_hold_then_lose_s3, args=(cfg, ready, hang_now))
    holder.start()
    assert ready.wait(30)
    proxy.hang()
    hang_now.set()
    t0 = time.monotonic()
    holder.join(30)
    assert holder.exitcode == 0 and time.monotonic() - t0 < 8
    err = capfd.readouterr().err
    assert "Traceback" not in err
    warnings = [line for line in err.splitlines() if line.startswith("WARNING pipeline.lock")]
    assert len(warnings) == 1, err
    assert f"could not release the warehouse lock {lock_uri(cfg)} (S3 at {proxy.endpoint}" in warnings[0]
    assert "it will expire within 10 s" in warnings[0]
    proxy.pass_through()
    # the run has exited: on the same host its lock is taken over at once, not after the TTL
    assert _storage(cfg).stat(lock_uri(cfg)) is not None
    t0 = time.monotonic()
    WarehouseLock(cfg).acquire().release()
    assert time.monotonic() - t0 < 1
