"""SPEC §7 through the CLI: each bad dump gives one clear message naming it, exit 1, lake untouched.

Each case starts from a lake holding a good day 2024-03-01; the bad dump is a "corrected"
2024-03-01 (so a failed replace must keep the old day) and a new 2024-03-02.
"""

from __future__ import annotations

import gzip
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.loaders.conftest import run_cli, tree_digest, write_config
from tests.loaders.sourcedb import execute, mysqldump, source_database


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def truncated(sql: bytes) -> bytes:
    cut = sql.index(b"\nINSERT INTO `tenants` VALUES") + 500
    return gz(sql[:cut])


def truncated_gzip(sql: bytes) -> bytes:
    data = gz(sql)
    return data[: len(data) // 2]


def corrupt_gzip_crc(sql: bytes) -> bytes:
    data = bytearray(gz(sql))
    data[-8:-4] = bytes(b ^ 0xFF for b in data[-8:-4])  # CRC32 of the member
    return bytes(data)


def no_trailer(sql: bytes) -> bytes:
    return gz(re.sub(rb"\n-- Dump completed[^\n]*\n?$", b"\n", sql))


def unterminated_last_statement(sql: bytes) -> bytes:
    body = re.sub(rb"\n-- Dump completed[^\n]*\n?$", b"\n", sql).rstrip()
    # the dump ends inside an INSERT of tenants that never gets its ';'
    return gz(body + b"\nINSERT INTO `tenants` VALUES (9001,'x',")


def not_gzip_at_all(sql: bytes) -> bytes:
    return b"\x1f\x8b\x08\x00garbage that is no deflate stream" * 10


CASES: dict[str, tuple[Callable[[bytes], bytes], list[str]]] = {
    "truncated": (truncated, ["unterminated", "`tenants`", "truncated"]),
    "truncated-gzip": (truncated_gzip, ["corrupt gzip", "ends early"]),
    "corrupt-gzip": (corrupt_gzip_crc, ["corrupt gzip data", "incorrect data check"]),
    "bad-gzip-header": (not_gzip_at_all, ["corrupt gzip data"]),
    "missing-trailer": (no_trailer, ["no '-- Dump completed' trailer", "truncated or incomplete"]),
    "unterminated-statement": (unterminated_last_statement, ["unterminated INSERT INTO `tenants`"]),
}


@pytest.fixture
def good_lake(tmp_path, source_db):
    """A config whose lake holds a good 2024-03-01; returns (config path, dumps dir, good sql)."""
    dumps = tmp_path / "dumps"
    sql = mysqldump(source_db, tmp_path / "good.sql", compress=False).read_bytes()
    (dumps).mkdir()
    (dumps / "20240301.sql.gz").write_bytes(gz(sql))
    cfg = write_config(tmp_path, str(tmp_path / "lake"), str(dumps))
    res = run_cli(cfg, "ingest")
    assert res.returncode == 0, res.stderr
    return cfg, dumps, sql, str(tmp_path / "lake")


def assert_rejected(cfg: str, lake: str, bad_names: list[str], expected: list[str]) -> str:
    before = tree_digest(lake)
    res = run_cli(cfg, "ingest")
    assert res.returncode == 3, res.stdout + res.stderr  # done, but a person must look
    rejected = [line for line in res.stderr.splitlines() if line.startswith("lakehouse ingest: rejected:")]
    assert len(rejected) == len(bad_names), res.stderr  # one line per rejected input, no traceback
    assert "Traceback" not in res.stderr
    for name, line in zip(sorted(bad_names), rejected):
        assert name in line, line
        for text in expected:
            assert text in line, line
    assert tree_digest(lake) == before  # data files and manifest exactly as they were
    return "\n".join(rejected)


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_dump_is_rejected_and_the_lake_kept(good_lake, case):
    cfg, dumps, sql, lake = good_lake
    damage, expected = CASES[case]
    (dumps / "20240301.sql.gz").write_bytes(damage(sql))  # a "corrected" day 1 that is broken
    (dumps / "20240302.sql.gz").write_bytes(damage(sql))  # and a new broken day 2
    msg = assert_rejected(cfg, lake, ["20240301.sql.gz", "20240302.sql.gz"], expected)
    assert msg.count("dumps/2024030") == 2


def _dump_with(tmp_path: Path, *sql: str, options: tuple[str, ...] = ()) -> bytes:
    with source_database(tenants=12, noise_rows=5) as db:
        execute(db, *sql)
        return mysqldump(db, tmp_path / "variant.sql", *options, compress=False).read_bytes()


def test_dump_without_tenants(good_lake, tmp_path):
    cfg, dumps, _sql, lake = good_lake
    with source_database(tenants=5, noise_rows=5) as db:
        data = mysqldump(db, tmp_path / "v.sql.gz", f"--ignore-table={db}.tenants").read_bytes()
    (dumps / "20240302.sql.gz").write_bytes(data)
    assert_rejected(cfg, lake, ["20240302.sql.gz"], ["the dump has no table `tenants`"])


def test_an_empty_tenants_table_is_a_rejected_dump(good_lake, tmp_path):
    """A day without a single tenant is a broken export, not a day when everyone left (SPEC §7)."""
    cfg, dumps, _sql, lake = good_lake
    (dumps / "20240302.sql.gz").write_bytes(gz(_dump_with(tmp_path, "DELETE FROM tenants")))
    assert_rejected(cfg, lake, ["20240302.sql.gz"], ["table `tenants` is empty"])


def test_required_column_missing_names_dump_table_and_column(good_lake, tmp_path):
    cfg, dumps, _sql, lake = good_lake
    (dumps / "20240302.sql.gz").write_bytes(
        gz(_dump_with(tmp_path, "ALTER TABLE tenants DROP COLUMN move_in_date"))
    )
    assert_rejected(cfg, lake, ["20240302.sql.gz"], ["table `tenants` has no column `move_in_date`"])


def test_required_column_missing_with_complete_insert_and_no_create(good_lake, tmp_path):
    cfg, dumps, _sql, lake = good_lake
    data = _dump_with(
        tmp_path, "ALTER TABLE rooms DROP COLUMN is_active", options=("--complete-insert", "--no-create-info")
    )
    (dumps / "20240302.sql.gz").write_bytes(gz(data))
    assert_rejected(cfg, lake, ["20240302.sql.gz"], ["table `rooms` has no column `is_active`"])


def test_duplicate_tenant_ids_name_the_id(good_lake, tmp_path):
    cfg, dumps, _sql, lake = good_lake
    data = _dump_with(
        tmp_path,
        "ALTER TABLE tenants DROP PRIMARY KEY",
        "INSERT INTO tenants (id, status, full_name) VALUES (7, 2, 'dup')",
    )
    (dumps / "20240302.sql.gz").write_bytes(gz(data))
    assert_rejected(
        cfg, lake, ["20240302.sql.gz"], ["table `tenants` column `id`", "duplicate id 7 (2 rows)"]
    )


def test_invalid_date_names_table_column_row_and_value(good_lake, tmp_path):
    cfg, dumps, _sql, lake = good_lake
    data = _dump_with(
        tmp_path,
        "SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
        "UPDATE tenants SET moveout_plans_date = '2024-02-30' WHERE id = 5",
    )
    (dumps / "20240302.sql.gz").write_bytes(gz(data))
    assert_rejected(
        cfg,
        lake,
        ["20240302.sql.gz"],
        ["table `tenants` column `moveout_plans_date`", "not a valid date", "'2024-02-30'", "row id 5"],
    )


def test_good_days_are_kept_when_another_fails(good_lake, source_db):
    cfg, dumps, sql, lake = good_lake
    (dumps / "20240302.sql.gz").write_bytes(no_trailer(sql))
    (dumps / "20240303.sql.gz").write_bytes(gz(sql))
    res = run_cli(cfg, "ingest")
    assert res.returncode == 3
    rejected = [line for line in res.stderr.splitlines() if "rejected:" in line]
    assert len(rejected) == 1 and "20240302.sql.gz" in rejected[0], res.stderr
    assert "1 day(s) written" in res.stdout
    assert len(list(Path(lake, "raw/tenants/snapshot_date=2024-03-03").glob("*.parquet"))) == 1
    assert not Path(lake, "raw/tenants/snapshot_date=2024-03-02").exists()
    assert not Path(lake, "_manifest/ingest/2024-03-02.json").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_s3_is_a_clear_error(tmp_path):
    port = _closed_port()
    cfg = write_config(
        tmp_path,
        str(tmp_path / "lake"),
        "s3://dumps/daily",
        s3={"endpoint": f"http://127.0.0.1:{port}", "url_style": "path", "region": "us-east-1"},
    )
    res = run_cli(cfg, "ingest", env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"})
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("lakehouse ingest: error:") and "s3://dumps/daily" in lines[0]
    )
    assert f"127.0.0.1:{port}" in lines[0] and "Traceback" not in res.stderr
    assert not (tmp_path / "lake").exists()
