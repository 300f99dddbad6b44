"""The checksum: DuckDB and MySQL compute the value a plain-Python reading of the definition gives."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import pytest

from publish import published
from publish.connection import connect_mysql
from publish.publisher import publish
from publish.tables import TARGETS
from publish.warehouse import Warehouse, day_filter
from tests.publish.conftest import SNAPSHOT_DAYS
from tests.publish.warehouses import V1, window, write_warehouse


def render(value: Any) -> str:
    """docs/PUBLISH.md's rendering, written independently of publish.checksum."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    return str(value)


def reference(rows: list[tuple[Any, ...]]) -> tuple[int, int]:
    total = 0
    for row in rows:
        text = "|".join(render(v) for v in row)
        total += int(hashlib.md5(text.encode("utf-8")).hexdigest()[:16], 16)
    return len(rows), total


def test_reference_rendering_of_one_row():
    row = (dt.date(2026, 2, 10), 1, None, Decimal("0.5000"), True, dt.datetime(2026, 2, 10, 6, 0), "入居中|x")
    assert "|".join(render(v) for v in row) == "2026-02-10|1|\\N|0.5000|1|2026-02-10 06:00:00.000000|入居中|x"


@pytest.mark.parametrize("spec", TARGETS, ids=lambda s: s.source)
def test_warehouse_and_mysql_checksums_equal_the_reference(pub_config, spec):
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    rows = V1[spec.source]
    where = ""
    if spec.day_column:
        rows = window(rows, SNAPSHOT_DAYS)
        where = day_filter(spec, start=dt.date(2026, 2, 8))
    want = reference(rows)
    with Warehouse(pub_config) as wh:
        assert wh.fingerprint(spec, where) == want
    con = connect_mysql(pub_config)
    try:
        with con.cursor() as cur:
            db = pub_config.mysql.databases[spec.schema]
            assert published.fingerprint(cur, db, spec.name, spec.columns) == want
            if spec.day_column:
                per_day = published.day_fingerprints(cur, db, spec, spec.columns)
                assert per_day == {d: reference([r for r in rows if r[0] == d]) for d in {r[0] for r in rows}}
    finally:
        con.close()


def test_report_and_log_carry_the_reference_checksum(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    report = publish(pub_config)
    for spec in TARGETS:
        rows = V1[spec.source]
        if spec.day_column:
            rows = window(rows, SNAPSHOT_DAYS)
        assert report.table(spec.source).checksum == reference(rows)[1]


def test_key_hashes_give_each_rows_key_and_reference_hash_even_for_awkward_text_keys(pub_config, root):
    """The (key, hash) pull reads one text field per row: a text key may hold the separator."""
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    spec = next(s for s in TARGETS if s.name == "occupancy_daily_metrics_by_area")
    db = pub_config.mysql.databases[spec.schema]
    awkward = ["a,b", 'quote"d', "new\nline", "東京都, 港区", "", "0x41"]
    columns = ", ".join(f"`{c}`" for c in spec.column_names)
    with root.cursor() as cur:
        for area in awkward:
            insert = f"INSERT INTO `{db}`.`{spec.name}` (snapshot_date, area, total_rooms)"
            cur.execute(insert + " VALUES ('2030-01-01', %s, 3)", (area,))
        cur.execute(f"SELECT {columns} FROM `{db}`.`{spec.name}`")
        rows = cur.fetchall()
    assert len(rows) == len(V1[spec.source]) + len(awkward)  # the breakdowns keep every day
    want = {(r[0], r[1]): reference([r])[1] for r in rows}
    con = connect_mysql(pub_config)
    try:
        got = published.key_hashes(con, db, spec, spec.columns)
        only_2030 = published.key_hashes(con, db, spec, spec.columns, [dt.date(2030, 1, 1)])
    finally:
        con.close()
    assert {(r["snapshot_date"], r["area"]): r["h"] for r in got.to_pylist()} == want
    assert sorted(r["area"] for r in only_2030.to_pylist()) == sorted(awkward)
