"""What is published: the target tables (SPEC §4 and §4b), their grains and their MySQL types.

The names are the dashboards' contract (SPEC §1: Aurora table names and columns must not
change), so the MySQL table and column names are exactly the warehouse names of
docs/CONTRACTS.md. Each column carries a *kind* that decides, identically on both sides, how
a value is cast, exported to CSV and rendered for the checksum (see :mod:`publish.checksum`).
Columns the warehouse gains later are typed from their DuckDB type by :func:`column_for`.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Optional

from lake.errors import PublishError

#: kinds -> the DuckDB type every warehouse value is cast to before export and hashing, so a
#: model that emits e.g. DOUBLE for the rate still publishes (and verifies) as DECIMAL(5,4)
KINDS = ("int", "date", "bool", "decimal", "timestamp", "text", "float")


@dataclass(frozen=True)
class Column:
    name: str
    #: MySQL column type (without NULL-ness)
    mysql_type: str
    kind: str
    #: DuckDB type the warehouse value is cast to (None = keep it)
    duck_type: Optional[str] = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:  # pragma: no cover - a spec bug
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class TableSpec:
    #: warehouse schema, also the key into config.mysql.databases
    schema: str
    #: table name, the same in the warehouse and in MySQL
    name: str
    columns: tuple[Column, ...]
    #: the grain = MySQL primary key, in key order
    key: tuple[str, ...]
    #: the date column of a table published by day (publish/window.py): only the days whose
    #: content changed are checksummed, deleted and loaded again; the other tables are diffed
    #: row by row (publish/keyed.py)
    day_column: Optional[str] = None
    #: only the last publish.snapshot_days days are kept in MySQL (the snapshot table)
    windowed: bool = False
    #: published once the warehouse has it (the SPEC §4b tables: a warehouse built before them
    #: gets them with its next models run); the others are required
    optional: bool = False

    @property
    def source(self) -> str:
        """The warehouse name, e.g. gold.occupancy_daily_metrics."""
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def with_columns(self, extra: tuple[Column, ...]) -> TableSpec:
        """This spec plus columns the warehouse gained (appended after the contract's)."""
        return dataclasses.replace(self, columns=self.columns + tuple(extra))


def _int(name: str, big: bool = False) -> Column:
    return Column(name, "BIGINT" if big else "INT", "int", "BIGINT" if big else "INTEGER")


def _date(name: str) -> Column:
    return Column(name, "DATE", "date", "DATE")


def _bool(name: str) -> Column:
    return Column(name, "TINYINT(1)", "bool", "BOOLEAN")


def _text(name: str) -> Column:
    return Column(name, "VARCHAR(255)", "text", "VARCHAR")


def _key_text(name: str) -> Column:
    """A text column of a primary key: compared byte for byte, so two areas that a
    case- or accent-insensitive collation would fold together stay two rows."""
    return Column(name, "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "text", "VARCHAR")


OCCUPANCY_DAILY_METRICS = TableSpec(
    "gold",
    "occupancy_daily_metrics",
    (
        _date("snapshot_date"),
        _int("applications"),
        _int("new_moveins"),
        _int("new_moveouts"),
        _int("occupancy_delta"),
        _int("period_start_rooms"),
        _int("period_end_rooms"),
        _int("total_rooms"),
        Column("occupancy_rate", "DECIMAL(5,4)", "decimal", "DECIMAL(5,4)"),
        _bool("is_projection"),
        _date("as_of_snapshot_date"),
        Column("updated_at", "DATETIME(6)", "timestamp", "TIMESTAMP"),
    ),
    ("snapshot_date",),
)

TENANT_STATUS_HISTORY = TableSpec(
    "silver",
    "tenant_status_history",
    (
        _int("tenant_id", big=True),
        _date("valid_from"),
        _int("version_number"),
        _int("status"),
        _int("contract_type"),
        _int("payment_status"),
        _date("valid_to"),
        _bool("is_current"),
        _int("days_in_status"),
    ),
    ("tenant_id", "valid_from"),
)

TENANT_STATUS_TRANSITIONS = TableSpec(
    "gold",
    "tenant_status_transitions",
    (
        _int("tenant_id", big=True),
        _date("valid_from"),
        _int("version_number"),
        _int("status"),
        _text("status_label"),
        _int("previous_status"),
        _text("previous_status_label"),
        _int("payment_status"),
        _int("previous_payment_status"),
        _date("valid_to"),
        _int("days_in_status"),
        _bool("is_current"),
        _bool("status_changed"),
        _bool("payment_status_changed"),
    ),
    ("tenant_id", "valid_from"),
)

TENANT_ROOM_SNAPSHOT_DAILY = TableSpec(
    "silver",
    "tenant_room_snapshot_daily",
    (
        _date("snapshot_date"),
        _int("tenant_id", big=True),
        _int("apartment_id", big=True),
        _int("room_id", big=True),
        _int("management_status_code"),
        _date("application_date"),
        _date("move_in_date"),
        _date("moveout_date"),
        _date("moveout_plans_date"),
    ),
    ("snapshot_date", "tenant_id", "apartment_id", "room_id"),
    day_column="snapshot_date",
    windowed=True,
)

_RATE = Column("occupancy_rate", "DECIMAL(5,4)", "decimal", "DECIMAL(5,4)")
_METRIC_COLUMNS = OCCUPANCY_DAILY_METRICS.columns[1:]  # every column after snapshot_date

# SPEC §4b: the same KPIs per apartment and per area, and the projection's accuracy
OCCUPANCY_DAILY_METRICS_BY_APARTMENT = TableSpec(
    "gold",
    "occupancy_daily_metrics_by_apartment",
    (
        _date("snapshot_date"),
        _int("apartment_id", big=True),
        _text("apartment_name"),
        _text("area"),
        *_METRIC_COLUMNS,
    ),
    ("snapshot_date", "apartment_id"),
    day_column="snapshot_date",  # a day changes ~1 in 100 of their rows
    optional=True,
)

OCCUPANCY_DAILY_METRICS_BY_AREA = TableSpec(
    "gold",
    "occupancy_daily_metrics_by_area",
    (_date("snapshot_date"), _key_text("area"), *_METRIC_COLUMNS),
    ("snapshot_date", "area"),
    day_column="snapshot_date",  # a day changes ~1 in 100 of their rows
    optional=True,
)

OCCUPANCY_PROJECTION_ACCURACY = TableSpec(
    "gold",
    "occupancy_projection_accuracy",
    (
        _date("as_of_snapshot_date"),
        _date("snapshot_date"),
        _int("horizon_days"),
        _int("projected_period_end_rooms"),
        _int("actual_period_end_rooms"),
        _int("error_rooms"),
        dataclasses.replace(_RATE, name="projected_occupancy_rate"),
        dataclasses.replace(_RATE, name="actual_occupancy_rate"),
        dataclasses.replace(_RATE, name="error_rate"),
        Column("updated_at", "DATETIME(6)", "timestamp", "TIMESTAMP"),
    ),
    ("as_of_snapshot_date", "snapshot_date"),
    optional=True,
)

#: publish order: small tables first so a failure on the big one costs little
TARGETS: tuple[TableSpec, ...] = (
    OCCUPANCY_DAILY_METRICS,
    TENANT_STATUS_HISTORY,
    TENANT_STATUS_TRANSITIONS,
    OCCUPANCY_DAILY_METRICS_BY_AREA,
    OCCUPANCY_DAILY_METRICS_BY_APARTMENT,
    OCCUPANCY_PROJECTION_ACCURACY,
    TENANT_ROOM_SNAPSHOT_DAILY,
)

_SIMPLE_TYPES = {
    "BOOLEAN": ("TINYINT(1)", "bool"),
    "TINYINT": ("TINYINT", "int"),
    "SMALLINT": ("SMALLINT", "int"),
    "INTEGER": ("INT", "int"),
    "BIGINT": ("BIGINT", "int"),
    "UTINYINT": ("TINYINT UNSIGNED", "int"),
    "USMALLINT": ("SMALLINT UNSIGNED", "int"),
    "UINTEGER": ("INT UNSIGNED", "int"),
    "UBIGINT": ("BIGINT UNSIGNED", "int"),
    "HUGEINT": ("DECIMAL(38,0)", "int"),
    "DATE": ("DATE", "date"),
    "TIMESTAMP": ("DATETIME(6)", "timestamp"),
    "TIMESTAMP_S": ("DATETIME(6)", "timestamp"),
    "TIMESTAMP_MS": ("DATETIME(6)", "timestamp"),
    "TIMESTAMP_NS": ("DATETIME(6)", "timestamp"),
    "TIMESTAMP WITH TIME ZONE": ("DATETIME(6)", "timestamp"),
    "VARCHAR": ("TEXT", "text"),
    "DOUBLE": ("DOUBLE", "float"),
    "FLOAT": ("FLOAT", "float"),
}

_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


def column_for(table: str, name: str, duck_type: str) -> Column:
    """The MySQL column for a column the warehouse gained (SPEC: new columns may be added).

    TIMESTAMP WITH TIME ZONE is published as a UTC DATETIME(6); floating point columns are
    published but left out of the checksum (their text rendering differs between engines).
    """
    t = duck_type.upper().strip()
    if t in _SIMPLE_TYPES:
        mysql_type, kind = _SIMPLE_TYPES[t]
        cast = "TIMESTAMP" if kind == "timestamp" else t
        return Column(name, mysql_type, kind, cast)
    m = _DECIMAL.match(t)
    if m:
        return Column(name, f"DECIMAL({m.group(1)},{m.group(2)})", "decimal", t)
    raise PublishError(
        f"warehouse column {table}.{name} has DuckDB type {duck_type}, which publish cannot map to "
        "MySQL (supported: integers, BOOLEAN, DATE, TIMESTAMP, DECIMAL, VARCHAR, DOUBLE/FLOAT)"
    )
