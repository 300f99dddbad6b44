"""Write hand-made lake days for the model tests, committed exactly as the loaders commit them.

Rows with the columns and Arrow types of `lake.schema.TABLES` go through
`loaders.partitions.commit_day` (content-named files + the day's manifest entry), so the same
helper fills a local folder or an S3 bucket and the models see the days as committed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from lake.config import Config
from lake.manifest import committed_file, lake_day, read_entry
from lake.schema import TABLES
from lake.storage import storage_for
from loaders.partitions import commit_day


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def tenant(
    id: int,
    status: int,
    *,
    apartment_id: Optional[int] = None,
    room_id: Optional[int] = None,
    contract_type: int = 1,
    payment_status: Optional[int] = None,
    full_name: Optional[str] = None,
    application_date: Optional[str] = None,
    move_in_date: Optional[str] = None,
    moveout_date: Optional[str] = None,
    moveout_plans_date: Optional[str] = None,
) -> dict[str, Any]:
    """One `tenants` row; dates as 'YYYY-MM-DD' strings for readability."""
    return {
        "id": id,
        "status": status,
        "contract_type": contract_type,
        "payment_status": payment_status,
        "full_name": full_name if full_name is not None else f"入居者 {id}",
        "apartment_id": apartment_id,
        "room_id": room_id,
        "application_date": d(application_date) if application_date else None,
        "move_in_date": d(move_in_date) if move_in_date else None,
        "moveout_date": d(moveout_date) if moveout_date else None,
        "moveout_plans_date": d(moveout_plans_date) if moveout_plans_date else None,
    }


def room(id: int, apartment_id: int, is_active: int = 1) -> dict[str, Any]:
    return {"id": id, "apartment_id": apartment_id, "room_number": f"{id:03d}", "is_active": is_active}


def arrow_table(table: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    schema = TABLES[table].arrow_schema
    rows = list(rows)
    return pa.Table.from_pydict({name: [r.get(name) for r in rows] for name in schema.names}, schema=schema)


def commit_tables(config: Config, day: str, replaced: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
    """Commit `day` with the tables of `replaced` set to their rows; its other tables are kept."""
    storage = storage_for(config.lake.root, config)
    old = read_entry(storage, config.lake.root, d(day))
    tables = {}
    if old is not None:
        for name, uri in lake_day(config.lake.root, d(day), old).files.items():
            tables[name] = pq.read_table(io.BytesIO(storage.read_bytes(uri)))
    tables.update({name: arrow_table(name, rows) for name, rows in replaced.items()})
    commit_day(config, d(day), tables, {"kind": "test", "source": "tests/sqlmesh_project/lakefiles.py"}, old)


def write_partition(config: Config, table: str, day: str, rows: Iterable[Mapping[str, Any]]) -> str:
    """Commit `day` with `table` replaced by `rows`; returns the URI of its file."""
    commit_tables(config, day, {table: rows})
    return committed_file(config, table, d(day))


def write_day(
    config: Config,
    day: str,
    tenants: Iterable[Mapping[str, Any]],
    rooms: Optional[Iterable[Mapping[str, Any]]] = None,
) -> None:
    """Commit one snapshot day: its tenants and (unless None) its rooms; other tables are kept."""
    commit_tables(config, day, {"tenants": tenants, **({"rooms": rooms} if rooms is not None else {})})
