"""Canonical lake tables: the names and types every layer agrees on (SPEC §2, §3).

The loaders write exactly these columns (after mapping the dump's own names through
``config.tables``), the SQLMesh models read them, and tests assert them. The partition
column ``snapshot_date`` is not stored in the files: it is the hive partition
``snapshot_date=YYYY-MM-DD`` of the path.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    #: a dump that lacks a required column is rejected for that day
    required: bool = True

    @property
    def duckdb_type(self) -> str:
        return {
            pa.int64(): "BIGINT",
            pa.int32(): "INTEGER",
            pa.string(): "VARCHAR",
            pa.date32(): "DATE",
        }[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    #: the column that must be unique within one snapshot
    key: str = "id"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])


TENANTS = Table(
    "tenants",
    (
        Column("id", pa.int64()),
        Column("status", pa.int32()),
        Column("contract_type", pa.int32()),
        Column("payment_status", pa.int32()),
        Column("full_name", pa.string()),
        Column("apartment_id", pa.int64()),
        Column("room_id", pa.int64()),
        Column("application_date", pa.date32()),
        Column("move_in_date", pa.date32()),
        Column("moveout_date", pa.date32()),
        Column("moveout_plans_date", pa.date32()),
    ),
)

ROOMS = Table(
    "rooms",
    (
        Column("id", pa.int64()),
        Column("apartment_id", pa.int64()),
        Column("room_number", pa.string()),
        Column("is_active", pa.int32()),
    ),
)

APARTMENTS = Table(
    "apartments",
    (
        Column("id", pa.int64()),
        Column("name", pa.string()),
        Column("area", pa.string()),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (TENANTS, ROOMS, APARTMENTS)}

#: name of the hive partition column of every raw table
PARTITION_COLUMN = "snapshot_date"
#: file name of a partition written by loader versions before content-named files (a manifest
#: entry without a `file` field); today's files are named by lake.manifest.data_file_name
PARTITION_FILE = "data.parquet"
