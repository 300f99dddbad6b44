"""`lakehouse import-legacy`: status CSVs become tenants partitions; dump days are protected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lake.manifest import committed_file
from lake.schema import TENANTS
from loaders.legacy import import_legacy
from tests.loaders.conftest import run_cli, tree_digest, write_config
from tests.loaders.sourcedb import mysqldump

HEADER = "tenant_id,status,contract_type,full_name,snapshot_date\n"


def write_csv(root: Path, day: str, rows: list[str], header: str = HEADER) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{day.replace('-', '')}.csv"
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_csvs_become_tenants_partitions_with_null_room_columns(local_config):
    legacy = Path(local_config.source.legacy_csv_root)
    write_csv(
        legacy,
        "2023-12-30",
        ['1,6,1,"山田, 太郎",2023-12-30', "2,10,,,2023-12-30", '3,2,2,"say ""hi""",2023-12-30'],
    )
    write_csv(legacy, "2023-12-31", ["1,9,1,山田 太郎,2023-12-31"])
    report = import_legacy(local_config, workers=1)
    assert report.ok and report.written_days == [dt.date(2023, 12, 30), dt.date(2023, 12, 31)]
    table = pq.read_table(committed_file(local_config, "tenants", dt.date(2023, 12, 30)), partitioning=None)
    assert table.schema.remove_metadata().equals(TENANTS.arrow_schema)
    rows = table.to_pylist()
    assert [(r["id"], r["status"], r["contract_type"], r["full_name"]) for r in rows] == [
        (1, 6, 1, "山田, 太郎"),
        (2, 10, None, None),
        (3, 2, 2, 'say "hi"'),
    ]
    for col in ("payment_status", "apartment_id", "room_id", "application_date", "move_in_date",
                "moveout_date", "moveout_plans_date"):  # fmt: skip
        assert all(r[col] is None for r in rows), col
    again = import_legacy(local_config, workers=1)
    assert again.written_days == [] and again.count("unchanged") == 2


@pytest.mark.parametrize(
    "rows, header, expected",
    [
        (
            ["1,6,1,A,2024-01-05", "x,6,1,B,2024-01-05"],
            HEADER,
            "20240105.csv: line 3: tenant_id 'x' is not an integer",
        ),
        (
            ["1,6,1,A,2024-01-05", "1,7,1,B,2024-01-05"],
            HEADER,
            "line 3: duplicate tenant_id 1 (first on line 2)",
        ),
        (["1,,1,A,2024-01-05"], HEADER, "20240105.csv: line 2: status is empty"),
        (
            ["1,6,1,A,2024-01-06"],
            HEADER,
            "line 2: snapshot_date 2024-01-06 differs from the file's date 2024-01-05",
        ),
        (["1,6,1,A,2024-13-05"], HEADER, "line 2: snapshot_date '2024-13-05' is not a date"),
        (["1,6,1,A"], HEADER, "line 2: 4 fields, the header has 5"),
        (
            ['1,6,1,"two\nlines",2024-01-05', "2,x,1,B,2024-01-05"],
            HEADER,
            "line 4: status 'x' is not an integer",
        ),
        (
            ["1,6,1,A"],
            "tenant_id,status,contract_type,full_name\n",
            "line 1: header lacks column(s) snapshot_date",
        ),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, rows, header, expected):
    legacy = tmp_path / "legacy"
    write_csv(legacy, "2024-01-04", ["1,6,1,A,2024-01-04"])
    write_csv(legacy, "2024-01-05", rows, header)
    (tmp_path / "dumps").mkdir()
    cfg = write_config(tmp_path, str(tmp_path / "lake"), str(tmp_path / "dumps"))
    res = run_cli(cfg, "import-legacy")
    assert res.returncode == 3  # done, but a person must look at the rejected CSV
    prefix = "lakehouse import-legacy: rejected:"
    errors = [line for line in res.stderr.splitlines() if line.startswith(prefix)]
    assert len(errors) == 1 and expected in errors[0], res.stderr
    assert "Traceback" not in res.stderr
    lake = tmp_path / "lake"
    assert len(list((lake / "raw/tenants/snapshot_date=2024-01-04").glob("*.parquet"))) == 1  # it loads
    assert not (lake / "raw/tenants/snapshot_date=2024-01-05").exists()
    assert not (lake / "_manifest/ingest/2024-01-05.json").exists()


def test_legacy_never_overwrites_a_dump_day_unless_forced(tmp_path, source_db):
    dumps = tmp_path / "dumps"
    mysqldump(source_db, dumps / "20240301.sql.gz")
    cfg = write_config(tmp_path, str(tmp_path / "lake"), str(dumps))
    assert run_cli(cfg, "ingest").returncode == 0
    write_csv(tmp_path / "legacy", "2024-03-01", ["1,6,1,A,2024-03-01"])
    write_csv(tmp_path / "legacy", "2024-02-29", ["1,5,1,A,2024-02-29"])
    before = tree_digest(str(tmp_path / "lake/raw/tenants/snapshot_date=2024-03-01"))

    res = run_cli(cfg, "import-legacy")
    assert res.returncode == 0, res.stderr
    assert "1 day(s) written" in res.stdout and "1 skipped" in res.stdout
    assert "dump-based partition" in res.stderr
    assert tree_digest(str(tmp_path / "lake/raw/tenants/snapshot_date=2024-03-01")) == before

    forced = run_cli(cfg, "import-legacy", "--force", "--start", "2024-03-01")
    assert forced.returncode == 0 and "1 day(s) written (1 replaced)" in forced.stdout
    (t_file,) = (tmp_path / "lake/raw/tenants/snapshot_date=2024-03-01").glob("*.parquet")
    t = pq.read_table(t_file, partitioning=None)
    assert t.num_rows == 1

    # the dump is the better record of its day: the next ingest restores it and reports it
    res = run_cli(cfg, "ingest")
    assert res.returncode == 0 and "1 day(s) written (1 replaced)" in res.stdout
    assert tree_digest(str(tmp_path / "lake/raw/tenants/snapshot_date=2024-03-01")) == before
