"""Small hand-written warehouses for the publish tests: two consecutive days of one product.

``V1`` is the warehouse as of 2026-02-10, ``V2`` the next day's (as of 2026-02-11). Between them:

* metrics: 2026-02-11 turns from projection into an actual, projections now end at 2026-02-12
  (so the 2026-02-13 projection must disappear), every row's ``updated_at`` moves;
* history/transitions: tenant 102's version is rewritten (valid_from 2026-02-01 -> 2026-02-02:
  the old key must disappear), tenant 101's current version ages a day, tenant 104 appears;
* room snapshots: day 2026-02-11 arrives, day 2026-02-09 is restated (tenant 102 status 3 -> 4)
  and with ``snapshot_days = 3`` the window moves from 02-08..02-10 to 02-09..02-11.

Rows are written with the exact column names and DuckDB types of docs/CONTRACTS.md. Text
values include Japanese, quotes, commas, a pipe, a backslash and a newline so that CSV loading
and the checksum's rendering are exercised.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Optional

import duckdb

D = dt.date
TS1 = dt.datetime(2026, 2, 10, 6, 0, 0, 123456)
TS2 = dt.datetime(2026, 2, 11, 6, 0, 1)

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "gold.occupancy_daily_metrics": [
        ("snapshot_date", "DATE"), ("applications", "INTEGER"), ("new_moveins", "INTEGER"),
        ("new_moveouts", "INTEGER"), ("occupancy_delta", "INTEGER"), ("period_start_rooms", "INTEGER"),
        ("period_end_rooms", "INTEGER"), ("total_rooms", "INTEGER"), ("occupancy_rate", "DECIMAL(5,4)"),
        ("is_projection", "BOOLEAN"), ("as_of_snapshot_date", "DATE"), ("updated_at", "TIMESTAMP"),
    ],
    "silver.tenant_status_history": [
        ("tenant_id", "BIGINT"), ("valid_from", "DATE"), ("version_number", "INTEGER"), ("status", "INTEGER"),
        ("contract_type", "INTEGER"), ("payment_status", "INTEGER"), ("valid_to", "DATE"),
        ("is_current", "BOOLEAN"), ("days_in_status", "INTEGER"),
    ],
    "gold.tenant_status_transitions": [
        ("tenant_id", "BIGINT"), ("valid_from", "DATE"), ("version_number", "INTEGER"), ("status", "INTEGER"),
        ("status_label", "VARCHAR"), ("previous_status", "INTEGER"), ("previous_status_label", "VARCHAR"),
        ("payment_status", "INTEGER"), ("previous_payment_status", "INTEGER"), ("valid_to", "DATE"),
        ("days_in_status", "INTEGER"), ("is_current", "BOOLEAN"), ("status_changed", "BOOLEAN"),
        ("payment_status_changed", "BOOLEAN"),
    ],
    "silver.tenant_room_snapshot_daily": [
        ("snapshot_date", "DATE"), ("tenant_id", "BIGINT"), ("apartment_id", "BIGINT"), ("room_id", "BIGINT"),
        ("management_status_code", "INTEGER"), ("application_date", "DATE"), ("move_in_date", "DATE"),
        ("moveout_date", "DATE"), ("moveout_plans_date", "DATE"),
    ],
}  # fmt: skip

_METRIC_COLS = COLUMNS["gold.occupancy_daily_metrics"][1:]
COLUMNS["gold.occupancy_daily_metrics_by_area"] = [
    ("snapshot_date", "DATE"),
    ("area", "VARCHAR"),
    *_METRIC_COLS,
]
COLUMNS["gold.occupancy_daily_metrics_by_apartment"] = [
    ("snapshot_date", "DATE"), ("apartment_id", "BIGINT"), ("apartment_name", "VARCHAR"), ("area", "VARCHAR"),
    *_METRIC_COLS,
]  # fmt: skip
COLUMNS["gold.occupancy_projection_accuracy"] = [
    ("as_of_snapshot_date", "DATE"), ("snapshot_date", "DATE"), ("horizon_days", "INTEGER"),
    ("projected_period_end_rooms", "INTEGER"), ("actual_period_end_rooms", "INTEGER"),
    ("error_rooms", "INTEGER"),
    ("projected_occupancy_rate", "DECIMAL(5,4)"), ("actual_occupancy_rate", "DECIMAL(5,4)"),
    ("error_rate", "DECIMAL(5,4)"), ("updated_at", "TIMESTAMP"),
]  # fmt: skip

TABLES = list(COLUMNS)

# ----------------------------------------------------------------------------- metrics
# snapshot_date, applications, moveins, moveouts, delta, start, end, total, rate, projection, as_of, updated
METRICS_V1 = [
    (D(2026, 2, 8), 2, 1, 0, 1, 9, 10, 12, Decimal("0.8333"), False, D(2026, 2, 8), TS1),
    (D(2026, 2, 9), 0, 0, 1, -1, 10, 9, 12, Decimal("0.7500"), False, D(2026, 2, 9), TS1),
    (D(2026, 2, 10), 1, 0, 0, 0, 9, 9, 0, None, False, D(2026, 2, 10), TS1),
    (D(2026, 2, 11), 0, 1, 0, 1, 9, 10, 12, Decimal("0.8333"), True, D(2026, 2, 10), TS1),
    (D(2026, 2, 12), 0, 0, 0, 0, 10, 10, 12, Decimal("0.8333"), True, D(2026, 2, 10), TS1),
    (D(2026, 2, 13), 0, 0, 2, -2, 10, 8, 12, Decimal("0.6667"), True, D(2026, 2, 10), TS1),
]
METRICS_V2 = [
    (D(2026, 2, 8), 2, 1, 0, 1, 9, 10, 12, Decimal("0.8333"), False, D(2026, 2, 8), TS2),
    (D(2026, 2, 9), 0, 0, 1, -1, 10, 9, 12, Decimal("0.7500"), False, D(2026, 2, 9), TS2),
    (D(2026, 2, 10), 1, 0, 0, 0, 9, 9, 0, None, False, D(2026, 2, 10), TS2),
    (D(2026, 2, 11), 0, 1, 0, 1, 9, 10, 12, Decimal("0.8333"), False, D(2026, 2, 11), TS2),
    (D(2026, 2, 12), 0, 0, 1, -1, 10, 9, 12, Decimal("0.7500"), True, D(2026, 2, 11), TS2),
]

# ----------------------------------------------------------------------------- history
# tenant, valid_from, version, status, contract_type, payment_status, valid_to, current, days
HISTORY_V1 = [
    (101, D(2025, 12, 1), 1, 2, 1, None, D(2026, 1, 9), False, 40),
    (101, D(2026, 1, 10), 2, 6, 1, 1, None, True, 32),
    (102, D(2026, 2, 1), 1, 3, 2, 1, None, True, 10),
    (103, D(2025, 11, 1), 1, 6, 1, 2, D(2026, 2, 5), False, 97),
]
HISTORY_V2 = [
    (101, D(2025, 12, 1), 1, 2, 1, None, D(2026, 1, 9), False, 40),
    (101, D(2026, 1, 10), 2, 6, 1, 1, None, True, 33),
    (102, D(2026, 2, 2), 1, 3, 2, 1, D(2026, 2, 8), False, 7),
    (102, D(2026, 2, 9), 2, 4, 2, 1, None, True, 3),
    (103, D(2025, 11, 1), 1, 6, 1, 2, D(2026, 2, 5), False, 97),
    (104, D(2026, 2, 11), 1, 2, 1, None, None, True, 1),
]

# ----------------------------------------------------------------------------- transitions
LABELS = {2: "申込", 3: "審査中", 4: '契約手続中 "contracting", step|4', 6: "入居中\\(更新前)\n2行目"}


def _transitions(history: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    out = []
    previous: dict[int, tuple[Any, ...]] = {}
    for tenant, vf, version, status, _ct, pay, vt, current, days in history:
        prev = previous.get(tenant)
        prev_status = prev[3] if prev else None
        prev_pay = prev[5] if prev else None
        out.append(
            (tenant, vf, version, status, LABELS[status], prev_status,
             LABELS[prev_status] if prev_status is not None else None, pay, prev_pay, vt, days, current,
             prev_status is not None and prev_status != status,
             prev is not None and prev_pay != pay)
        )  # fmt: skip
        previous[tenant] = (tenant, vf, version, status, _ct, pay)
    return out


TRANSITIONS_V1 = _transitions(HISTORY_V1)
TRANSITIONS_V2 = _transitions(HISTORY_V2)

# ----------------------------------------------------------------------------- room snapshots
# day, tenant, apartment, room, status, application, move_in, moveout, moveout_plans
_BASE = [
    (101, 1, 11, 6, D(2025, 12, 1), D(2026, 1, 10), None, None),
    (102, 1, 12, 3, D(2026, 2, 1), None, None, None),
    (103, 2, 21, 9, D(2025, 10, 20), D(2025, 11, 1), D(2026, 3, 31), D(2026, 3, 31)),
]


def _day(day: dt.date, overrides: Optional[dict[int, int]] = None) -> list[tuple[Any, ...]]:
    overrides = overrides or {}
    return [(day, t, a, r, overrides.get(t, s), ap, mi, mo, mp) for t, a, r, s, ap, mi, mo, mp in _BASE]


SNAPSHOT_V1 = _day(D(2026, 2, 7)) + _day(D(2026, 2, 8)) + _day(D(2026, 2, 9)) + _day(D(2026, 2, 10))
SNAPSHOT_V2 = (
    _day(D(2026, 2, 7))
    + _day(D(2026, 2, 8))
    + _day(D(2026, 2, 9), {102: 4})
    + _day(D(2026, 2, 10), {102: 4})
    + _day(D(2026, 2, 11), {102: 4})
    + [(D(2026, 2, 11), 104, 3, 31, 2, D(2026, 2, 11), None, None, None)]
)

# ----------------------------------------------------------------------------- SPEC §4b
# by area / apartment: the metric columns after the group's keys; 02-11 turns actual in V2
BY_AREA_V1 = [
    (D(2026, 2, 10), "北区", 1, 0, 0, 0, 5, 5, 6, Decimal("0.8333"), False, D(2026, 2, 10), TS1),
    (D(2026, 2, 10), "(unknown)", 0, 0, 0, 0, 4, 4, 0, None, False, D(2026, 2, 10), TS1),
    (D(2026, 2, 11), "北区", 0, 1, 0, 1, 5, 6, 6, Decimal("1.0000"), True, D(2026, 2, 10), TS1),
]
BY_AREA_V2 = [
    (D(2026, 2, 10), "北区", 1, 0, 0, 0, 5, 5, 6, Decimal("0.8333"), False, D(2026, 2, 10), TS2),
    (D(2026, 2, 10), "(unknown)", 0, 0, 0, 0, 4, 4, 0, None, False, D(2026, 2, 10), TS2),
    (D(2026, 2, 11), "北区", 0, 1, 0, 1, 5, 6, 6, Decimal("1.0000"), False, D(2026, 2, 11), TS2),
    (D(2026, 2, 11), "(unknown)", 0, 0, 1, -1, 4, 3, 0, None, False, D(2026, 2, 11), TS2),
]
BY_APARTMENT_V1 = [
    (
        D(2026, 2, 10),
        1,
        'A館 "east", 1|2',
        "北区",
        1,
        0,
        0,
        0,
        5,
        5,
        6,
        Decimal("0.8333"),
        False,
        D(2026, 2, 10),
        TS1,
    ),
    (D(2026, 2, 10), 9, None, None, 0, 0, 0, 0, 4, 4, 0, None, False, D(2026, 2, 10), TS1),
]
BY_APARTMENT_V2 = [
    (
        D(2026, 2, 10),
        1,
        'A館 "east", 1|2',
        "北区",
        1,
        0,
        0,
        0,
        5,
        5,
        6,
        Decimal("0.8333"),
        False,
        D(2026, 2, 10),
        TS2,
    ),
    (
        D(2026, 2, 11),
        1,
        'A館 "east", 1|2',
        "北区",
        0,
        1,
        0,
        1,
        5,
        6,
        6,
        Decimal("1.0000"),
        False,
        D(2026, 2, 11),
        TS2,
    ),
]
# as of, date, horizon, projected end, actual end, error, projected rate, actual rate, error rate
ACCURACY_V1 = [
    (D(2026, 2, 8), D(2026, 2, 9), 1, 11, 9, 2, Decimal("0.9167"), Decimal("0.7500"), Decimal("0.1667"), TS1),
    (D(2026, 2, 8), D(2026, 2, 10), 2, 9, 9, 0, Decimal("0.7500"), None, None, TS1),
    (D(2026, 2, 9), D(2026, 2, 10), 1, 10, 9, 1, Decimal("0.8333"), None, None, TS1),
]
ACCURACY_V2 = ACCURACY_V1 + [
    (
        D(2026, 2, 9),
        D(2026, 2, 11),
        2,
        9,
        10,
        -1,
        Decimal("0.7500"),
        Decimal("0.8333"),
        Decimal("-0.0833"),
        TS2,
    ),
    (D(2026, 2, 10), D(2026, 2, 11), 1, 10, 10, 0, None, Decimal("0.8333"), None, TS2),
]

V1 = {
    "gold.occupancy_daily_metrics": METRICS_V1,
    "silver.tenant_status_history": HISTORY_V1,
    "gold.tenant_status_transitions": TRANSITIONS_V1,
    "silver.tenant_room_snapshot_daily": SNAPSHOT_V1,
    "gold.occupancy_daily_metrics_by_area": BY_AREA_V1,
    "gold.occupancy_daily_metrics_by_apartment": BY_APARTMENT_V1,
    "gold.occupancy_projection_accuracy": ACCURACY_V1,
}
V2 = {
    "gold.occupancy_daily_metrics": METRICS_V2,
    "silver.tenant_status_history": HISTORY_V2,
    "gold.tenant_status_transitions": TRANSITIONS_V2,
    "silver.tenant_room_snapshot_daily": SNAPSHOT_V2,
    "gold.occupancy_daily_metrics_by_area": BY_AREA_V2,
    "gold.occupancy_daily_metrics_by_apartment": BY_APARTMENT_V2,
    "gold.occupancy_projection_accuracy": ACCURACY_V2,
}


def write_warehouse(
    path: str,
    data: dict[str, list[tuple[Any, ...]]],
    columns: Optional[dict[str, list[tuple[str, str]]]] = None,
    as_views: bool = False,
) -> str:
    """(Re)write a warehouse DuckDB file holding `data` (SQLMesh exposes views: `as_views`)."""
    import os

    if os.path.exists(path):
        os.remove(path)
    columns = columns or COLUMNS
    con = duckdb.connect(path)
    try:
        for name, rows in data.items():
            schema, table = name.split(".")
            cols = columns[name]
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            physical = f"{schema}.{table}"
            if as_views:
                con.execute("CREATE SCHEMA IF NOT EXISTS physical")
                physical = f"physical.{schema}__{table}"
            con.execute(f"CREATE TABLE {physical} ({', '.join(f'{c} {t}' for c, t in cols)})")
            if rows:
                marks = ", ".join(["?"] * len(cols))
                con.executemany(f"INSERT INTO {physical} VALUES ({marks})", [list(r) for r in rows])
            if as_views:
                con.execute(f"CREATE VIEW {schema}.{table} AS SELECT * FROM {physical}")
    finally:
        con.close()
    return path


def window(rows: list[tuple[Any, ...]], days: int) -> list[tuple[Any, ...]]:
    """The snapshot rows MySQL should hold: the last `days` days before the latest one."""
    latest = max(r[0] for r in rows)
    return [r for r in rows if r[0] > latest - dt.timedelta(days=days)]


def as_mysql(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A Python row as pymysql returns it (booleans are TINYINT(1) 0/1)."""
    return tuple(int(v) if isinstance(v, bool) else v for v in row)


def expected(data: dict[str, list[tuple[Any, ...]]], snapshot_days: int) -> dict[str, set[tuple[Any, ...]]]:
    """What each published table must contain, per warehouse table name."""
    out = {}
    for name, rows in data.items():
        if name == "silver.tenant_room_snapshot_daily":
            rows = window(rows, snapshot_days)
        out[name] = {as_mysql(r) for r in rows}
    return out
