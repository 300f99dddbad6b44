"""Write hand-made lake partitions for the model tests, in the exact layout and schema.

`<root>/raw/<table>/snapshot_date=YYYY-MM-DD/data.parquet` with the columns and Arrow types
of `lake.schema.TABLES` (the partition column is the path, not a column), written through
`lake.storage` so the same helper fills a local folder or an S3 bucket.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from lake.config import Config
from lake.layout import partition_file
from lake.schema import TABLES
from lake.storage import storage_for


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


def write_partition(config: Config, table: str, day: str, rows: Iterable[Mapping[str, Any]]) -> str:
    """Write (or replace) the partition of `table` for `day`; returns its URI."""
    schema = TABLES[table].arrow_schema
    rows = list(rows)
    arrays = {name: [r.get(name) for r in rows] for name in schema.names}
    data = pa.Table.from_pydict(arrays, schema=schema)
    buf = io.BytesIO()
    pq.write_table(data, buf)
    uri = partition_file(config.lake.root, table, d(day))
    storage_for(uri, config).write_bytes(uri, buf.getvalue())
    return uri


def write_day(
    config: Config,
    day: str,
    tenants: Iterable[Mapping[str, Any]],
    rooms: Optional[Iterable[Mapping[str, Any]]] = None,
) -> None:
    """One snapshot day: its tenants partition and (unless None) its rooms partition."""
    write_partition(config, "tenants", day, tenants)
    if rooms is not None:
        write_partition(config, "rooms", day, rooms)
