"""Parsed dump rows equal the rows MariaDB returns, for real `mysqldump` output of hostile data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lake.config import TableMapping
from lake.connection import connect
from lake.manifest import committed_file, table_sql
from lake.schema import TABLES
from loaders.dumpreader import read_dump
from loaders.ingest import ingest
from tests.loaders.sourcedb import execute, fetch, mysqldump, source_database

DATE_COLS = ("application_date", "move_in_date", "moveout_date", "moveout_plans_date")


def _date(text):
    """MariaDB's text form of a DATE -> date; the zero date is NULL (SPEC §2)."""
    if text is None or text.startswith("0000-00-00"):
        return None
    return dt.date.fromisoformat(text[:10])


def expected_tenants(db: str) -> list[tuple]:
    dates = ", ".join(f"CAST({c} AS CHAR)" for c in DATE_COLS)
    rows = fetch(
        db,
        "SELECT id, status, contract_type, payment_status, full_name, apartment_id, room_id, "
        f"{dates} FROM tenants ORDER BY id",
    )
    return [tuple(r[:7]) + tuple(_date(v) for v in r[7:]) for r in rows]


def expected_rooms(db: str) -> list[tuple]:
    return [
        tuple(r) for r in fetch(db, "SELECT id, apartment_id, room_number, is_active FROM rooms ORDER BY id")
    ]


def expected_apartments(db: str) -> list[tuple]:
    return [tuple(r) for r in fetch(db, "SELECT id, name, area FROM apartments ORDER BY id")]


def rows_of(table) -> list[tuple]:
    return sorted(tuple(r.values()) for r in table.to_pylist())


VARIANTS = {
    "default": [],
    "skip-extended-insert": ["--skip-extended-insert"],
    "complete-insert": ["--complete-insert"],
    "one-row-complete": ["--skip-extended-insert", "--complete-insert"],
    "small-statements": ["--net-buffer-length=4096"],
    "insert-ignore": ["--insert-ignore", "--skip-quote-names"],
}


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parsed_rows_equal_mariadb_rows(source_db, local_config, tmp_path, variant, compress):
    dump = mysqldump(
        source_db, tmp_path / ("d.sql.gz" if compress else "d.sql"), *VARIANTS[variant], compress=compress
    )
    parsed = read_dump(str(dump), local_config)

    assert rows_of(parsed.tables["tenants"]) == expected_tenants(source_db)
    assert rows_of(parsed.tables["rooms"]) == expected_rooms(source_db)
    assert rows_of(parsed.tables["apartments"]) == expected_apartments(source_db)
    for name, table in parsed.tables.items():
        assert table.schema.equals(TABLES[name].arrow_schema), name
    assert parsed.gzip is compress
    raw = dump.read_bytes()
    assert parsed.raw_bytes == len(raw)
    assert parsed.sql_bytes == len(gzip.decompress(raw) if compress else raw)


def test_hostile_strings_survive_exactly(source_db, local_config, tmp_path):
    """Every hostile string (quotes, backslashes, NUL, emoji, ...) comes back byte for byte."""
    dump = mysqldump(source_db, tmp_path / "d.sql.gz")
    names = {
        r["id"]: r["full_name"] for r in read_dump(str(dump), local_config).tables["tenants"].to_pylist()
    }
    db_names = dict(fetch(source_db, "SELECT id, full_name FROM tenants"))
    assert names == db_names
    assert "O'Brien" in names.values() and "nul\x00byte and ctrl-z \x1a" in names.values()
    assert "グエン・ヴァン・アン 🏠😀" in names.values() and "NULL" in names.values()
    assert "trailing backslash\\" in names.values() and "%_ like chars \\% \\_" in names.values()
    assert None in names.values()  # a real NULL is not the string 'NULL'


def test_mysql8_one_line_layout(source_db, local_config, tmp_path):
    """MySQL's mysqldump writes an extended INSERT on one line; MariaDB puts rows on lines."""
    dump = mysqldump(source_db, tmp_path / "d.sql", compress=False)
    text = dump.read_bytes()
    one_line = re.sub(rb"\),\n\(", b"),(", re.sub(rb" VALUES\n\(", b" VALUES (", text))
    assert one_line.count(b"\n") < text.count(b"\n") - 50
    (tmp_path / "m.sql").write_bytes(one_line)
    parsed = read_dump(str(tmp_path / "m.sql"), local_config)
    assert rows_of(parsed.tables["tenants"]) == expected_tenants(source_db)


def test_column_order_comes_from_each_dumps_create_table(local_config, tmp_path, mysql_server):
    """A column added in the middle between two dumps shifts nothing (no column list in INSERT)."""
    with source_database(tenants=30, noise_rows=10) as db:
        before = mysqldump(db, tmp_path / "before.sql.gz")
        execute(
            db,
            "ALTER TABLE tenants ADD COLUMN nickname VARCHAR(40) DEFAULT 'x),(y' AFTER id",
            "ALTER TABLE tenants ADD COLUMN risk INT DEFAULT 7 AFTER status",
            "ALTER TABLE rooms ADD COLUMN wing VARCHAR(5) DEFAULT 'E' FIRST",
            "UPDATE tenants SET status = 6, move_in_date = '2024-05-05' WHERE id % 4 = 0",
        )
        after = mysqldump(db, tmp_path / "after.sql.gz")
        want = expected_tenants(db)
        want_rooms = expected_rooms(db)
    old = read_dump(str(before), local_config)
    new = read_dump(str(after), local_config)
    assert rows_of(new.tables["tenants"]) == want
    assert rows_of(new.tables["rooms"]) == want_rooms
    changed = {r[0] for r in set(rows_of(new.tables["tenants"])) - set(rows_of(old.tables["tenants"]))}
    assert changed == {i for i in range(1, 31) if i % 4 == 0}  # move_in_date changed for all of them


def test_mapped_table_and_column_names(local_config, tmp_path, mysql_server):
    """config.tables maps the PMS's own names onto the canonical ones."""
    with source_database(tenants=20, noise_rows=5) as db:
        execute(
            db,
            "ALTER TABLE tenants CHANGE status management_status INT NOT NULL",
            "ALTER TABLE tenants CHANGE full_name name_kanji VARCHAR(200)",
            "RENAME TABLE tenants TO contracts",
        )
        dump = mysqldump(db, tmp_path / "d.sql.gz")
        want = fetch(db, "SELECT id, management_status, name_kanji FROM contracts ORDER BY id")
    tables = dict(local_config.tables)
    tables["tenants"] = TableMapping(
        source="contracts", columns={"status": "management_status", "full_name": "name_kanji"}
    )
    cfg = dataclasses.replace(local_config, tables=tables)
    got = read_dump(str(dump), cfg).tables["tenants"].select(["id", "status", "full_name"])
    assert [tuple(r.values()) for r in got.to_pylist()] == [tuple(r) for r in want]


def test_lake_files_have_the_exact_schema(source_db, local_config, tmp_path):
    """Parquet names and Arrow types are lake.schema.TABLES; DuckDB sees BIGINT/INTEGER/VARCHAR/DATE."""
    src = Path(local_config.source.root)
    mysqldump(source_db, src / "20240301.sql.gz")
    report = ingest(local_config, workers=1)
    assert report.ok and report.written_days == [dt.date(2024, 3, 1)]
    con = connect(local_config)
    for name, table in TABLES.items():
        path = committed_file(local_config, name, dt.date(2024, 3, 1))
        assert pq.read_schema(path).remove_metadata().equals(table.arrow_schema), name
        described = con.execute(f"DESCRIBE SELECT * FROM {table_sql(local_config, name)}").fetchall()
        types = {r[0]: r[1] for r in described}
        assert types == {**{c.name: c.duckdb_type for c in table.columns}, "snapshot_date": "DATE"}
    n = con.execute(f"SELECT count(*) FROM {table_sql(local_config, 'tenants')}").fetchone()[0]
    assert n == len(expected_tenants(source_db))


def test_complete_insert_with_a_column_list_longer_than_the_peek(local_config, tmp_path, mysql_server):
    """An INSERT whose column list alone is several KB still parses (--complete-insert)."""
    with source_database(tenants=15, noise_rows=5) as db:
        extra = ", ".join(
            f"ADD COLUMN a_rather_long_column_name_number_{i:03d} INT DEFAULT {i}" for i in range(80)
        )
        execute(db, f"ALTER TABLE tenants {extra}")
        dump = mysqldump(db, tmp_path / "d.sql.gz", "--complete-insert")
        want = expected_tenants(db)
    header = (
        gzip.decompress(dump.read_bytes()).split(b"\nINSERT INTO `tenants` (", 1)[1].split(b"VALUES", 1)[0]
    )
    assert len(header) > 3000
    assert rows_of(read_dump(str(dump), local_config).tables["tenants"]) == want


def test_bit_columns_read_as_integers(local_config, tmp_path, mysql_server):
    """MariaDB dumps BIT(1) as a raw byte in quotes; is_active must still be 0/1."""
    with source_database(tenants=5, noise_rows=5) as db:
        execute(db, "ALTER TABLE rooms MODIFY is_active BIT(1) NOT NULL DEFAULT b'1'")
        dump = mysqldump(db, tmp_path / "d.sql.gz")
        want = fetch(db, "SELECT id, is_active + 0 FROM rooms ORDER BY id")
    got = read_dump(str(dump), local_config).tables["rooms"].select(["id", "is_active"]).to_pylist()
    assert [(r["id"], r["is_active"]) for r in got] == [tuple(r) for r in want]
    assert {r["is_active"] for r in got} == {0, 1}
