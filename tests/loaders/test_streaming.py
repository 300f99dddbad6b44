"""The reader is a stream: any chunking parses the same, memory does not grow with the dump."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import random
import threading
import tracemalloc

import pytest

from lake.config import load_config
from lake.errors import LoadError
from loaders import stream as stream_module
from loaders.dumpreader import DumpParser, wanted_tables
from loaders.stream import ChunkReader, ChunkStream
from tests.conftest import REPO
from tests.loaders.sourcedb import mysqldump

CONFIG = load_config(f"{REPO}/config.yaml", environ={})


def parse(chunks) -> dict:
    wanted = wanted_tables(CONFIG, "test.sql")
    DumpParser(ChunkReader(iter(chunks)), "test.sql", wanted).run()
    return {w.canonical: w.builder.finish().to_pylist() for w in wanted.values()}


def test_any_chunking_parses_the_same(source_db, tmp_path):
    sql = mysqldump(source_db, tmp_path / "d.sql", "--net-buffer-length=8192", compress=False).read_bytes()
    whole = parse([sql])
    rng = random.Random(11)
    for _ in range(5):
        chunks, i = [], 0
        while i < len(sql):
            n = rng.choice([1, 2, 3, 7, 64, 1000, 70000])
            chunks.append(sql[i : i + n])
            i += n
        assert parse(chunks) == whole


def test_handwritten_insert_column_list_maps_by_name():
    sql = b"""CREATE TABLE `tenants` (`id` int NOT NULL, `status` int, `contract_type` int,
  `payment_status` int, `full_name` text, `apartment_id` int, `room_id` int, `application_date` date,
  `move_in_date` date, `moveout_date` date, `moveout_plans_date` date, `extra` enum('a,b','c'),
  PRIMARY KEY (`id`)) ENGINE=InnoDB;
CREATE TABLE `rooms` (`id` int, `apartment_id` int, `room_number` text, `is_active` int);
CREATE TABLE `apartments` (`id` int, `name` text, `area` text);
INSERT INTO `tenants` (`Room_Id`, `moveout_plans_date`, `moveout_date`, `move_in_date`, `application_date`,
 `apartment_id`, `full_name`, `payment_status`, `contract_type`, `STATUS`, `id`, `extra`)
 VALUES (7,NULL,NULL,'2024-01-02',NULL,3,'A',NULL,1,6,42,'x');
-- Dump completed on 2024-01-01
"""
    got = parse([sql])["tenants"]
    assert got == [
        {"id": 42, "status": 6, "contract_type": 1, "payment_status": None, "full_name": "A",
         "apartment_id": 3, "room_id": 7, "application_date": None,
         "move_in_date": __import__("datetime").date(2024, 1, 2), "moveout_date": None,
         "moveout_plans_date": None}
    ]  # fmt: skip


class LazyDump(io.RawIOBase):
    """A dump whose unrelated table is `mb` MB, produced on the fly (never held in memory)."""

    def __init__(self, mb: int, compress: bool) -> None:
        self._parts = self._generate(mb)
        self._compress = compress
        self._z = (
            gzip.GzipFile(fileobj=(buf := io.BytesIO()), mode="wb", compresslevel=1) if compress else None
        )
        self._zbuf = buf if compress else None
        self._pending = b""

    @staticmethod
    def _generate(mb: int):
        yield b"CREATE TABLE `tenants` (`id` int, `status` int, `contract_type` int, `payment_status` int,"
        yield b" `full_name` text, `apartment_id` int, `room_id` int, `application_date` date,"
        yield b" `move_in_date` date, `moveout_date` date, `moveout_plans_date` date);\n"
        yield b"INSERT INTO `tenants` VALUES (1,6,1,NULL,'a',1,1,NULL,NULL,NULL,NULL);\n"
        yield b"CREATE TABLE `rooms` (`id` int, `apartment_id` int, `room_number` text, `is_active` int);\n"
        yield b"CREATE TABLE `apartments` (`id` int, `name` text, `area` text);\n"
        row = b"(1,'" + b"noise with 'quotes\\' and ; semicolons " * 20 + b"')"
        stmt = b"INSERT INTO `logs` VALUES " + b",\n".join([row] * 1000) + b";\n"
        for _ in range(mb * 1_000_000 // len(stmt)):
            yield stmt
        yield b"-- Dump completed on 2024-01-01\n"

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._pending:
            part = next(self._parts, None)
            if part is None:
                if self._z is not None and not self._z.closed:
                    self._z.close()
                    self._pending = self._zbuf.getvalue()
                    break
                return 0
            if self._z is None:
                self._pending = part
            else:
                self._z.write(part)
                self._pending = self._zbuf.getvalue()
                self._zbuf.seek(0)
                self._zbuf.truncate()
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_memory_does_not_grow_with_the_dump(compress):
    tracemalloc.start()
    try:
        raw = io.BufferedReader(LazyDump(300, compress), buffer_size=1 << 20)
        wanted = wanted_tables(CONFIG, "lazy")
        with ChunkStream(raw, "lazy") as stream:
            DumpParser(ChunkReader(stream.chunks()), "lazy", wanted).run()
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stream.out_bytes > 290_000_000
    assert wanted["tenants"].builder.finish().num_rows == 1
    assert peak < 60_000_000, f"peak {peak / 1e6:.0f} MB while reading {stream.out_bytes / 1e6:.0f} MB"


def test_a_stream_error_names_the_source():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise ConnectionResetError("connection reset by peer")

    with (
        ChunkStream(io.BufferedReader(Broken()), "s3://dumps/x.sql.gz") as stream,
        pytest.raises(
            LoadError,
            match=r"s3://dumps/x.sql.gz: read failed: ConnectionResetError: connection reset by peer",
        ),
    ):
        list(stream.chunks())


def test_isal_inflates_when_installed():
    """`isal` is a dependency for its speed: when it is importable, no stream may inflate with zlib."""
    if importlib.util.find_spec("isal") is None:
        pytest.skip("isal is not installed (the zlib fallback is tested below)")
    assert stream_module.INFLATE is stream_module.ISAL
    assert stream_module.INFLATE.name == "isal"
    assert type(stream_module.INFLATE.new()).__module__.startswith("isal")


@pytest.fixture(params=["zlib", "isal"])
def inflate(request, monkeypatch):
    """Each inflater in turn: zlib (the fallback where isal has no wheel) forced by swapping the
    module's backend, so the fallback is tested on a machine that has isal as well."""
    backend = {"zlib": stream_module.ZLIB, "isal": stream_module.ISAL}[request.param]
    if backend is None:
        pytest.skip("isal is not installed")
    monkeypatch.setattr(stream_module, "INFLATE", backend)
    return backend


def parse_stream(data: bytes, name: str) -> tuple[dict, ChunkStream]:
    """`parse` of a ChunkStream over `data`; fails, not hangs, if the reader thread never ends."""
    got: list = []
    with ChunkStream(io.BytesIO(data), name) as stream:
        consumer = threading.Thread(target=lambda: got.append(parse(stream.chunks())), daemon=True)
        consumer.start()
        consumer.join(timeout=60)
        assert not consumer.is_alive(), "the stream never ended (an inflate loop that does not stop)"
    assert got, "the parse failed (see the thread's exception above)"
    return got[0], stream


def test_multi_member_gzip_and_damaged_gzip_with_each_inflater(inflate, monkeypatch):
    """`cat a.gz b.gz` is one valid gzip file; a truncated or corrupt one gives the same message
    with either inflater.

    The first member ends exactly where a decompress call fills OUT_SIZE: zlib then also leaves
    the next member in `unconsumed_tail`, and a reader feeding that back looped for ever.
    """
    monkeypatch.setattr(stream_module, "OUT_SIZE", 4096)
    sql = b"".join(LazyDump._generate(1))
    cut = 3 * 4096
    two = gzip.compress(sql[:cut], mtime=0) + gzip.compress(sql[cut:], mtime=0)
    got, stream = parse_stream(two, "two.sql.gz")
    assert got == parse([sql])
    assert got["tenants"] and stream.gzip
    assert (stream.out_bytes, stream.raw_bytes) == (len(sql), len(two))
    assert stream.sha256 == hashlib.sha256(two).hexdigest()

    for data, message in [
        (two[:-100], "truncated.sql.gz: corrupt gzip: the compressed stream ends early (truncated file)"),
        (
            two[:-8] + bytes(b ^ 0xFF for b in two[-8:-4]) + two[-4:],
            "bad.sql.gz: corrupt gzip data (incorrect data check)",
        ),
    ]:
        name = message.split(":")[0]
        with ChunkStream(io.BytesIO(data), name) as stream, pytest.raises(LoadError) as err:
            list(stream.chunks())
        assert str(err.value) == message, inflate.name
