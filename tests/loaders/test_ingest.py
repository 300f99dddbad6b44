"""`ingest`: only new or changed dumps, atomic day replacement, restated days, parallel backfill, S3."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import boto3

from lake.config import SourceConfig
from lake.connection import connect
from lake.layout import manifest_dir
from lake.manifest import table_sql
from lake.s3 import split_uri
from loaders import LOADER_VERSION
from loaders.ingest import ingest
from loaders.sources import find_sources
from tests.loaders.conftest import run_cli, tree_digest, write_config
from tests.loaders.sourcedb import execute, fetch, mysqldump, source_database

D1, D2, D3 = dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 3, 3)


def lake_count(cfg, table: str, day: dt.date) -> int:
    sql = f"SELECT count(*) FROM {table_sql(cfg, table)} WHERE snapshot_date = DATE '{day}'"
    return connect(cfg).execute(sql).fetchone()[0]


def data_files(root: str) -> dict[str, str]:
    return {k: v for k, v in tree_digest(root).items() if not k.startswith("_manifest")}


def test_only_new_or_changed_dumps_and_replaced_days(local_config, mysql_server):
    cfg = local_config
    src = Path(cfg.source.root)
    with source_database(tenants=25, noise_rows=20) as db:
        mysqldump(db, src / "20240301.sql.gz")
        mysqldump(db, src / "20240302.sql.gz")
        first = ingest(cfg, workers=1)
        assert first.ok and first.written_days == [D1, D2] and first.replaced_days == []
        assert first.rows == 2 * (25 + 40 + 13)
        entry = json.loads(Path(manifest_dir(cfg.lake.root), "ingest", "2024-03-02.json").read_text())
        assert entry["source"] == str(src / "20240302.sql.gz") and entry["kind"] == "dump"
        assert entry["rows"] == {"tenants": 25, "rooms": 40, "apartments": 13}
        assert entry["size"] == os.path.getsize(src / "20240302.sql.gz") and len(entry["sha256"]) == 64
        assert entry["loader_version"] == LOADER_VERSION and entry["ingested_at"].endswith("Z")

        before = tree_digest(cfg.lake.root)
        again = ingest(cfg, workers=1)
        assert again.ok and again.written_days == [] and again.count("unchanged") == 2
        assert tree_digest(cfg.lake.root) == before  # nothing read, nothing written

        # same bytes, new mtime (a re-upload): read again, but the lake's data stays as it was
        data = (src / "20240301.sql.gz").read_bytes()
        (src / "20240301.sql.gz").write_bytes(data)
        touched = ingest(cfg, workers=1)
        assert touched.written_days == [] and touched.replaced_days == []
        assert data_files(cfg.lake.root) == {k: v for k, v in before.items() if not k.startswith("_manifest")}

        # a corrected dump of day 2 replaces day 2 only, and is reported for restatement
        execute(db, "DELETE FROM tenants WHERE id > 20", "UPDATE tenants SET status = 10 WHERE id = 1")
        mysqldump(db, src / "20240302.sql.gz")
        fixed = ingest(cfg, workers=1)
        assert fixed.written_days == [D2] and fixed.replaced_days == [D2]
        assert lake_count(cfg, "tenants", D1) == 25 and lake_count(cfg, "tenants", D2) == 20
        status = connect(cfg).execute(
            f"SELECT status FROM {table_sql(cfg, 'tenants')} WHERE snapshot_date = '{D2}' AND id = 1"
        )
        assert status.fetchone()[0] == 10


def test_force_start_end_and_plain_sql_variant(local_config, source_db):
    cfg = local_config
    src = Path(cfg.source.root)
    mysqldump(source_db, src / "20240301.sql.gz")
    mysqldump(source_db, src / "20240302.sql", compress=False)  # plain .sql beside .sql.gz
    mysqldump(source_db, src / "20240303.sql.gz")
    (src / "notes.txt").write_text("not a dump")
    (src / "20240304.sql.gz.tmp").write_text("an upload in progress")
    r = ingest(cfg, start=D2, end=D3, workers=1)
    assert r.written_days == [D2, D3]
    assert not Path(cfg.lake.root, "raw", "tenants", "snapshot_date=2024-03-01").exists()
    forced = ingest(cfg, start=D2, end=D2, force=True, workers=1)
    assert forced.written_days == [D2] and forced.replaced_days == []  # same content: not a change


def test_key_pattern_with_folders(local_config, source_db):
    cfg = dataclasses.replace(
        local_config,
        source=dataclasses.replace(local_config.source, key_pattern="daily/{date:%Y/%m/%d}/pms.sql.gz"),
    )
    root = Path(cfg.source.root)
    mysqldump(source_db, root / "daily/2024/03/02/pms.sql.gz")
    mysqldump(source_db, root / "daily/2024/03/03/other.sql.gz")
    found, problems = find_sources(cfg.source.root, cfg.source.key_pattern, cfg)
    assert [s.day for s in found] == [D2] and problems == []
    assert ingest(cfg, workers=1).written_days == [D2]


def test_bad_date_in_name_and_two_dumps_for_one_day_are_reported(local_config, source_db):
    src = Path(local_config.source.root)
    mysqldump(source_db, src / "20240230.sql.gz")
    mysqldump(source_db, src / "20240301.sql.gz")
    shutil.copy(src / "20240301.sql.gz", src / "20240301.sql")
    r = ingest(local_config, workers=1)
    assert not r.ok and r.written_days == []
    messages = " | ".join(m for _u, m in r.failures)
    assert "'20240230' in the name is not a valid date" in messages
    assert "two inputs for 2024-03-01" in messages


def test_parallel_backfill_through_the_cli(tmp_path, source_db):
    dumps = tmp_path / "dumps"
    for day in range(1, 6):
        mysqldump(source_db, dumps / f"202403{day:02d}.sql.gz")
    cfg = write_config(tmp_path, str(tmp_path / "lake"), str(dumps))
    res = run_cli(cfg, "ingest", "--workers", "2", "-v")
    assert res.returncode == 0, res.stderr
    # -v logs every day; without it a run this short prints no progress line at all
    progress = [line for line in res.stderr.splitlines() if "ingest [" in line]
    assert len(progress) == 5 and any("ingest [5/5]" in line for line in progress)
    assert all(" MB " in line and line.rstrip().endswith("written") for line in progress)
    assert "5 day(s) written (0 replaced)" in res.stdout and "2 worker(s)" in res.stdout
    assert "MB/s" in res.stdout
    again = run_cli(cfg, "ingest")
    assert again.returncode == 0 and "0 day(s) written" in again.stdout and "5 unchanged" in again.stdout
    assert "ingest [" not in again.stderr


def test_s3_source_and_s3_lake(s3_config, source_db, tmp_path):
    cfg = s3_config
    s3 = boto3.client("s3", endpoint_url=cfg.s3.endpoint, region_name="us-east-1")
    bucket, prefix = split_uri(cfg.source.root)
    for day in ("20240301", "20240302"):
        path = mysqldump(source_db, tmp_path / f"{day}.sql.gz")
        s3.upload_file(str(path), bucket, f"{prefix}/{day}.sql.gz")
    report = ingest(cfg, workers=2)
    assert report.ok, report.failures
    assert report.written_days == [D1, D2]
    n_db = fetch(source_db, "SELECT count(*) FROM tenants")[0][0]
    assert lake_count(cfg, "tenants", D2) == n_db
    lake_bucket, lake_prefix = split_uri(cfg.lake.root)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=lake_bucket, Prefix=lake_prefix)["Contents"]}
    rooms_day = [k for k in keys if k.startswith(f"{lake_prefix}/raw/rooms/snapshot_date=2024-03-02/")]
    assert len(rooms_day) == 1 and rooms_day[0].endswith(".parquet")
    assert f"{lake_prefix}/_manifest/ingest/2024-03-01.json" in keys
    again = ingest(cfg, workers=1)
    assert again.written_days == [] and again.count("unchanged") == 2


def test_missing_source_folder_is_a_clear_error(local_config):
    cfg = dataclasses.replace(local_config, source=SourceConfig(root="/nonexistent/dumps"))
    res = run_cli_for(cfg)
    assert res.returncode == 1
    assert "source folder does not exist: /nonexistent/dumps" in res.stderr


def run_cli_for(cfg):
    path = write_config(Path(cfg.lake.root).parent, cfg.lake.root, cfg.source.root)
    return run_cli(path, "ingest")


def test_bad_dump_on_s3_leaves_the_s3_lake_untouched(s3_config, source_db, tmp_path):
    cfg = s3_config
    s3 = boto3.client("s3", endpoint_url=cfg.s3.endpoint, region_name="us-east-1")
    bucket, prefix = split_uri(cfg.source.root)
    good = mysqldump(source_db, tmp_path / "good.sql.gz")
    s3.upload_file(str(good), bucket, f"{prefix}/20240301.sql.gz")
    assert ingest(cfg, workers=1).written_days == [D1]
    lake_bucket, lake_prefix = split_uri(cfg.lake.root)

    def lake_objects():
        listing = s3.list_objects_v2(Bucket=lake_bucket, Prefix=lake_prefix)["Contents"]
        return {o["Key"]: o["ETag"] for o in listing}

    before = lake_objects()
    data = good.read_bytes()
    s3.put_object(Bucket=bucket, Key=f"{prefix}/20240301.sql.gz", Body=data[: len(data) // 3])
    s3.put_object(Bucket=bucket, Key=f"{prefix}/20240302.sql.gz", Body=data[: len(data) // 2])
    report = ingest(cfg, workers=2)
    assert not report.ok and report.written_days == []
    assert sorted(u for u, _m in report.failures) == [
        f"{cfg.source.root}/20240301.sql.gz",
        f"{cfg.source.root}/20240302.sql.gz",
    ]
    assert all("corrupt gzip" in m and m.startswith("s3://") for _u, m in report.failures)
    assert lake_objects() == before
    assert "2 failed" in report.summary()
