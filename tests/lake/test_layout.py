"""`lake.layout.read_sql`: the scan every raw.* view and analyst query is built on."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lake.layout import read_sql


def write(tmp_path, day: str, table: pa.Table) -> str:
    folder = tmp_path / f"snapshot_date={day}"
    folder.mkdir()
    path = folder / "part.parquet"
    pq.write_table(table, path)
    return str(path)


def test_files_are_matched_by_column_name_and_the_day_comes_from_the_path(tmp_path):
    first = write(tmp_path, "2024-05-01", pa.table({"id": [1], "name": ["a"], "rooms": [10]}))
    # the same columns in another order: read by name, not by position
    second = write(tmp_path, "2024-05-02", pa.table({"rooms": [20], "name": ["b"], "id": [2]}))
    rows = duckdb.sql(f"SELECT snapshot_date, id, name, rooms FROM {read_sql([first, second])} ORDER BY id")
    assert [(str(d), i, n, r) for d, i, n, r in rows.fetchall()] == [
        ("2024-05-01", 1, "a", 10),
        ("2024-05-02", 2, "b", 20),
    ]


def test_a_file_lacking_a_column_fails_loudly_naming_the_file_instead_of_reading_nulls(tmp_path):
    full = write(tmp_path, "2024-05-01", pa.table({"id": [1], "name": ["a"], "rooms": [10]}))
    short = write(tmp_path, "2024-05-02", pa.table({"id": [2], "name": ["b"]}))
    with pytest.raises(duckdb.Error, match="2024-05-02"):
        duckdb.sql(f"SELECT id, rooms FROM {read_sql([full, short])}").fetchall()
