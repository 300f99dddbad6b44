"""A lake day is one commit: content-named files, then the manifest entry (lake/manifest.py).

Readers see committed days only; files of an unfinished commit are invisible and swept; T and
models.start are defined once from the committed days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os

import duckdb
import pyarrow as pa

from lake.manifest import (
    FALLBACK_START,
    as_of_date,
    committed_days,
    data_file_name,
    lake_days_for_root,
    models_start,
    pin_lake_days,
    table_sql,
    unpin_lake_days,
)
from lake.schema import TABLES
from loaders.partitions import commit_day, parquet_bytes, sweep_orphans

D = dt.date.fromisoformat


def tenants(*ids: int) -> pa.Table:
    schema = TABLES["tenants"].arrow_schema
    rows = [{"id": i, "status": 6, "contract_type": 1, "full_name": f"t{i}"} for i in ids]
    return pa.Table.from_pylist(rows, schema=schema)


def count(config, day: str) -> int:
    con = duckdb.connect()
    try:
        sql = f"SELECT count(*) FROM {table_sql(config, 'tenants')} WHERE snapshot_date = DATE '{day}'"
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_a_committed_day_names_content_named_files_and_a_fingerprint(local_config):
    out = commit_day(local_config, D("2026-01-01"), {"tenants": tenants(1, 2)}, {"kind": "test"}, None)
    assert out.written and not out.replaced
    day = committed_days(local_config)[D("2026-01-01")]
    (path,) = day.files.values()
    assert os.path.basename(path) == day.entry["tables"]["tenants"]["sha256"][:16] + ".parquet"
    assert count(local_config, "2026-01-01") == 2
    again = commit_day(local_config, D("2026-01-01"), {"tenants": tenants(1, 2)}, {"kind": "test"}, day.entry)
    assert not again.written and committed_days(local_config)[D("2026-01-01")].fingerprint == day.fingerprint


def test_files_written_before_a_crash_are_invisible_until_the_entry_commits_and_then_swept(local_config):
    commit_day(local_config, D("2026-01-01"), {"tenants": tenants(1, 2)}, {"kind": "test"}, None)
    before = committed_days(local_config)
    committed = before[D("2026-01-01")].files["tenants"]
    # an ingest that died after writing the new file of the day (step 1), before its entry (step 2)
    data = parquet_bytes(tenants(1, 2, 3))
    orphan = os.path.join(os.path.dirname(committed), data_file_name(hashlib.sha256(data).hexdigest()))
    with open(orphan, "wb") as fh:
        fh.write(data)
    assert committed_days(local_config) == before and count(local_config, "2026-01-01") == 2
    assert sweep_orphans(local_config, committed_days(local_config)) == [orphan]
    assert os.listdir(os.path.dirname(committed)) == [os.path.basename(committed)]


def test_a_replaced_day_reports_it_and_leaves_one_file(local_config):
    first = commit_day(local_config, D("2026-01-02"), {"tenants": tenants(1)}, {"kind": "test"}, None)
    old = committed_days(local_config)[D("2026-01-02")]
    second = commit_day(
        local_config, D("2026-01-02"), {"tenants": tenants(1, 5)}, {"kind": "test"}, old.entry
    )
    new = committed_days(local_config)[D("2026-01-02")]
    assert first.written and second.replaced and new.fingerprint != old.fingerprint
    assert os.listdir(os.path.dirname(new.files["tenants"])) == [os.path.basename(new.files["tenants"])]


def test_a_pinned_lake_is_what_the_models_see_until_the_job_unpins_it(local_config):
    root = local_config.lake.root
    commit_day(local_config, D("2026-01-01"), {"tenants": tenants(1)}, {"kind": "test"}, None)
    pin_lake_days(root, committed_days(local_config))
    try:
        # committed while the models job runs: its views and signals keep the job's listing
        commit_day(local_config, D("2026-01-02"), {"tenants": tenants(1)}, {"kind": "test"}, None)
        assert set(lake_days_for_root(root)) == {D("2026-01-01")}
        assert set(lake_days_for_root(root + "/")) == {D("2026-01-01")}
    finally:
        unpin_lake_days(root)
    assert set(lake_days_for_root(root)) == {D("2026-01-01"), D("2026-01-02")}


def test_t_is_the_latest_committed_day_and_models_start_follows_the_lake(local_config):
    assert models_start(local_config) == FALLBACK_START  # nothing committed yet
    for day in ("2026-01-03", "2025-12-30", "2026-01-01"):
        commit_day(local_config, D(day), {"tenants": tenants(1)}, {"kind": "test"}, None)
    days = committed_days(local_config)
    assert as_of_date(days) == D("2026-01-03") and as_of_date(days, D("2026-02-01")) is None
    assert models_start(local_config) == D("2025-12-30")  # the first day, legacy days included
    pinned = local_config.replace(models=dataclasses.replace(local_config.models, start=D("2026-01-01")))
    assert models_start(pinned) == D("2026-01-01")
