"""Conditional writes of lake.storage, locally and on a real S3 server: one winner, whole content."""

from __future__ import annotations

import multiprocessing
import os
import uuid

import pytest

from lake.storage import LocalStorage, storage_for


@pytest.fixture(params=["local", "s3"])
def make(request, tmp_path):
    """(a function making a new storage, a fresh URI prefix)"""
    if request.param == "local":
        return LocalStorage, str(tmp_path / "state")
    cfg = request.getfixturevalue("s3_config")
    prefix = f"s3://state/{uuid.uuid4().hex[:10]}"
    return (lambda: storage_for(prefix, cfg)), prefix


@pytest.fixture
def base(make):
    """(storage, a fresh URI prefix)"""
    return make[0](), make[1]


def test_put_if_absent_creates_once_and_returns_the_etag_of_what_it_wrote(base):
    storage, prefix = base
    uri = f"{prefix}/pointer"
    etag = storage.put_if_absent(uri, b"first")
    assert etag and storage.stat(uri).etag == etag
    assert storage.put_if_absent(uri, b"second") is None
    assert storage.read_versioned(uri) == (b"first", etag)


def test_put_if_match_replaces_only_the_named_version(base):
    storage, prefix = base
    uri = f"{prefix}/pointer"
    assert storage.put_if_match(uri, b"x", "nope") is None  # nothing there yet
    v1 = storage.put_if_absent(uri, b"v1")
    assert storage.put_if_match(uri, b"v2", "not-the-etag") is None
    assert storage.read_bytes(uri) == b"v1"
    v2 = storage.put_if_match(uri, b"v2", v1)
    assert v2 and v2 != v1
    assert storage.read_versioned(uri) == (b"v2", v2)
    assert storage.put_if_match(uri, b"v3", v1) is None  # v1 is gone: a stale writer loses
    assert storage.read_bytes(uri) == b"v2"


def test_delete_if_match_deletes_only_the_named_version(base):
    storage, prefix = base
    uri = f"{prefix}/lock"
    v1 = storage.put_if_absent(uri, b"mine")
    v2 = storage.put_if_match(uri, b"theirs", v1)
    assert storage.delete_if_match(uri, v1) is False
    assert storage.read_bytes(uri) == b"theirs"
    assert storage.delete_if_match(uri, v2) is True
    assert storage.stat(uri) is None
    assert storage.read_versioned(uri) is None
    assert storage.delete_if_match(uri, v2) is True  # already gone


def test_quick_local_replacements_of_the_same_size_get_distinct_etags(tmp_path):
    storage = LocalStorage()
    uri = str(tmp_path / "pointer")
    seen = {storage.put_if_absent(uri, b"0000")}
    etag = next(iter(seen))
    for i in range(1, 50):  # far faster than the file system's mtime tick
        etag = storage.put_if_match(uri, b"%04d" % i, etag)
        assert etag is not None and etag not in seen
        seen.add(etag)
    assert storage.read_bytes(uri) == b"0049"


def test_local_conditional_writes_leave_no_temp_files_in_listings(tmp_path):
    storage = LocalStorage()
    uri = str(tmp_path / "dir" / "pointer")
    v1 = storage.put_if_absent(uri, b"a")
    storage.put_if_absent(uri, b"b")
    storage.put_if_match(uri, b"c", v1)
    names = sorted(os.listdir(tmp_path / "dir"))
    assert names == ["pointer", "pointer.guard"]
    assert [i.uri for i in storage.list(str(tmp_path / "dir")) if not i.uri.endswith(".guard")] == [uri]


def _cas_racer(storage, uri, etag, barrier, wins, index):
    barrier.wait()
    if storage.put_if_match(uri, b"winner %d" % index, etag) is not None:
        with wins.get_lock():
            wins.value += 1


def test_of_many_processes_replacing_the_same_version_exactly_one_wins(make):
    new_storage, prefix = make
    storage, unused = new_storage(), new_storage()  # children get a client with no open connection
    uri = f"{prefix}/pointer"
    etag = storage.put_if_absent(uri, b"start")
    ctx = multiprocessing.get_context("fork")
    n = 40
    barrier, wins = ctx.Barrier(n), ctx.Value("i", 0)
    procs = [ctx.Process(target=_cas_racer, args=(unused, uri, etag, barrier, wins, i)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * n
    assert wins.value == 1
    assert storage.read_bytes(uri).startswith(b"winner ")
