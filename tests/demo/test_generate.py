"""Public API of the demo data: files, reports, determinism, name mapping, lake partitions, S3, CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import os

import pyarrow.parquet as pq
import pytest

from demo.generate import expected_rows, expected_snapshot, generate_dumps, write_lake_direct
from lake.config import TableMapping
from lake.manifest import committed_file
from lake.schema import TABLES
from lake.storage import storage_for
from pipeline.cli import main
from tests.demo.refparse import parse_dump

START = dt.date(2026, 1, 1)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read()
    return gzip.decompress(data) if path.endswith(".gz") else data


def _read_raw(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _canonical(dump: bytes, names: dict[str, str] | None = None) -> dict[str, list[tuple]]:
    """Canonical rows of a dump read by the test parser (dates back to date objects)."""
    names = names or {}
    out = {}
    tables = parse_dump(dump)
    for table, spec in TABLES.items():
        t = tables[names.get(table, table)]
        rows = []
        for r in t.dicts():
            vals = []
            for col in spec.columns:
                v = r[names.get(f"{table}.{col.name}", col.name)]
                if v is not None and col.duckdb_type == "DATE":
                    v = dt.date.fromisoformat(v)
                vals.append(v)
            rows.append(tuple(vals))
        out[table] = rows
    return out


def test_generate_report_and_files(local_config, tmp_path):
    out = tmp_path / "dumps"
    report = generate_dumps(local_config, str(out), START, 3, workers=1)
    names = sorted(os.listdir(out))
    assert names == ["20260101.sql.gz", "20260102.sql.gz", "20260103.sql.gz"]
    assert report.days == 3 and report.start == START and report.end == dt.date(2026, 1, 3)
    assert report.bytes == sum((out / n).stat().st_size for n in names)
    raw = [gzip.decompress((out / n).read_bytes()) for n in names]
    assert report.raw_bytes == sum(len(r) for r in raw)
    last = expected_snapshot(START, report.end)
    assert report.tenants == last["tenants"].num_rows and report.rooms == last["rooms"].num_rows
    assert "3 dump(s)" in report.summary() and "tenants" in report.summary()
    assert all(r.rstrip().splitlines()[-1].startswith(b"-- Dump completed on 2026-01-0") for r in raw)


def test_workers_do_not_change_a_byte(local_config, tmp_path):
    one = generate_dumps(local_config, str(tmp_path / "a"), START, 4, workers=1)
    two = generate_dumps(local_config, str(tmp_path / "b"), START, 4, workers=2)
    for fa, fb in zip(one.files, two.files):
        with open(fa, "rb") as a, open(fb, "rb") as b:
            assert a.read() == b.read()
    other = generate_dumps(local_config, str(tmp_path / "c"), START, 1, seed=8, workers=1)
    with open(one.files[0], "rb") as a, open(other.files[0], "rb") as c:
        assert a.read() != c.read()


def test_only_writes_the_sampled_days_as_the_full_run_would(local_config, tmp_path):
    full = generate_dumps(local_config, str(tmp_path / "full"), START, 5, workers=1)
    sample = {START + dt.timedelta(days=1), START + dt.timedelta(days=4)}
    part = generate_dumps(local_config, str(tmp_path / "part"), START, 5, workers=1, only=sample)
    assert sorted(os.listdir(tmp_path / "part")) == ["20260102.sql.gz", "20260105.sql.gz"]
    assert part.days == 2
    for name in ("20260102.sql.gz", "20260105.sql.gz"):
        assert _read_raw(str(tmp_path / "part" / name)) == _read_raw(str(tmp_path / "full" / name))
    assert len(full.files) == 5


def test_only_with_no_day_of_the_simulation_is_an_error(local_config, tmp_path):
    with pytest.raises(ValueError, match="none of the 1 days"):
        generate_dumps(local_config, str(tmp_path), START, 2, workers=1, only={dt.date(2020, 1, 1)})
    assert not (tmp_path / "20200101.sql.gz").exists()


def test_dumps_parse_to_the_expected_rows(local_config, tmp_path):
    report = generate_dumps(local_config, str(tmp_path), START, 6, workers=2)
    for path in report.files[::2]:
        day = dt.datetime.strptime(os.path.basename(path)[:8], "%Y%m%d").date()
        got = _canonical(_read(path))
        want = expected_rows(START, day, days=6)
        for table in TABLES:
            assert got[table] == [tuple(r.values()) for r in want[table]], (day, table)


def test_key_pattern_and_plain_sql(local_config, tmp_path):
    cfg = local_config.replace(
        source=dataclasses.replace(local_config.source, key_pattern="daily/{date:%Y}/{date:%m%d}.sql")
    )
    report = generate_dumps(cfg, None, START, 2, workers=1)
    root = cfg.source.root
    assert report.out_root == root
    assert sorted(os.listdir(os.path.join(root, "daily", "2026"))) == ["0101.sql", "0102.sql"]
    with open(os.path.join(root, "daily", "2026", "0101.sql"), "rb") as fh:
        assert fh.read(40).startswith(b"/*M!999999\\- enable the sandbox mode */")
    assert not [n for n in os.listdir(os.path.join(root, "daily", "2026")) if n.endswith(".tmp")]


def test_config_table_and_column_names_are_used(local_config, tmp_path):
    tables = dict(local_config.tables)
    tables["tenants"] = TableMapping(source="pms_tenants", columns={"status": "management_status"})
    tables["rooms"] = TableMapping(source="rooms", columns={"is_active": "rentable"})
    cfg = local_config.replace(tables=tables)
    report = generate_dumps(cfg, str(tmp_path), START, 1, workers=1)
    dump = _read(report.files[0])
    parsed = parse_dump(dump)
    assert "tenants" not in parsed and "management_status" in parsed["pms_tenants"].columns
    assert "rentable" in parsed["rooms"].columns
    got = _canonical(
        dump, {"tenants": "pms_tenants", "tenants.status": "management_status", "rooms.is_active": "rentable"}
    )
    want = expected_rows(START, START)
    assert got["tenants"] == [tuple(r.values()) for r in want["tenants"]]
    assert b"KEY `idx_tenants_status` (`management_status`)" in dump


def test_lake_direct_equals_the_dumps(local_config, tmp_path):
    days = 5
    lake = write_lake_direct(local_config, START, days, profile="small")
    assert lake.days == days and "tenants" in lake.summary()
    report = generate_dumps(local_config, str(tmp_path / "d"), START, days, workers=2)
    total = 0
    for path in report.files:
        day = dt.datetime.strptime(os.path.basename(path)[:8], "%Y%m%d").date()
        from_dump = _canonical(_read(path))
        for table, spec in TABLES.items():
            f = committed_file(local_config, table, day)
            data = pq.read_table(f, partitioning=None)
            assert data.schema == spec.arrow_schema, (table, data.schema)
            assert [tuple(r.values()) for r in data.to_pylist()] == from_dump[table], (day, table)
            total += data.num_rows
    assert total == sum(lake.rows.values())


def test_dumps_and_lake_on_s3(s3_config, tmp_path):
    report = generate_dumps(s3_config, None, START, 2, workers=2)
    store = storage_for(s3_config.source.root, s3_config)
    listed = sorted(store.list(s3_config.source.root), key=lambda o: o.uri)
    assert [o.uri.rsplit("/", 1)[1] for o in listed] == ["20260101.sql.gz", "20260102.sql.gz"]
    assert sum(o.size for o in listed) == report.bytes
    local = generate_dumps(s3_config, str(tmp_path), START, 2, workers=1)
    assert store.read_bytes(listed[1].uri) == _read_raw(local.files[1])

    write_lake_direct(s3_config, START, 2, profile="small")
    key = committed_file(s3_config, "tenants", START)
    local_copy = tmp_path / "t.parquet"
    storage_for(key, s3_config).download_file(key, str(local_copy))
    assert pq.read_table(local_copy).num_rows == expected_snapshot(START, START)["tenants"].num_rows


def test_cli_demo_data(local_config, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE__LAKE__ROOT", str(tmp_path / "lake"))
    out = tmp_path / "cli"
    assert (
        main(["demo-data", "--days", "2", "--start", "2026-03-01", "--out", str(out), "--workers", "1"]) == 0
    )
    printed = capsys.readouterr().out
    assert "[demo-data] 2 dump(s) 2026-03-01..2026-03-02" in printed and "tenants" in printed
    assert sorted(os.listdir(out)) == ["20260301.sql.gz", "20260302.sql.gz"]
    assert main(["demo-data", "--days", "2", "--direct-to-lake"]) == 0
    lake_cfg = local_config.replace(lake=dataclasses.replace(local_config.lake, root=str(tmp_path / "lake")))
    assert os.path.exists(committed_file(lake_cfg, "rooms", dt.date(2026, 1, 2)))
    assert main(["demo-data", "--days", "0"]) == 2  # a usage error
    assert "--days" in capsys.readouterr().err
