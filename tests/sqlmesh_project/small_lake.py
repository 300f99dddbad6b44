"""A small hand-written lake for the end-to-end model tests, and its hand-worked results.

One apartment (100) with rooms 1-4 active and room 5 inactive, so total_rooms = 4 every day.
Snapshot days 2024-05-01, 2024-05-02 and 2024-05-04 (2024-05-03 has no dump: a gap day);
2024-05-05 is ingested later ("the new day"), and 2024-05-02 is later replaced by a corrected
dump. Tenants:

* 1 (A) residing in room 1 since 04-01, payment 1; gives notice on 05-05 (9, out 05-10)
* 2 (B) scheduled (5) for room 2, applied 04-20, moves in on 05-02 (6); payment NULL -> 2
* 3 (C) notice given (9) in room 3, leaves on 05-04; moved out (10) on 05-05
* 4 (D) inquiry (1) without a room; applies for room 4 on 05-02 (2); contracting (4) on 05-04
  with move-in 05-08; move-in scheduled (5) on 05-05. The corrected 05-02 dump shows D still
  an inquiry (1) without a room that day.
* 5 (E) application withdrawn (12) without a room on 05-01/05-02, then gone (vanished)

Expected values in the tests are computed by hand from SPEC §4, not by the model SQL.
"""

from __future__ import annotations

from lake.config import Config
from tests.sqlmesh_project.lakefiles import room, tenant, write_day

ROOMS = [room(1, 100), room(2, 100), room(3, 100), room(4, 100), room(5, 100, is_active=0)]


def _a(status: int, **kw: object) -> dict:
    return tenant(1, status, apartment_id=100, room_id=1, payment_status=1, move_in_date="2024-04-01", **kw)


def _b(status: int, payment: object = None) -> dict:
    return tenant(
        2,
        status,
        apartment_id=100,
        room_id=2,
        payment_status=payment,
        application_date="2024-04-20",
        move_in_date="2024-05-02",
    )


def _c(status: int) -> dict:
    return tenant(
        3,
        status,
        apartment_id=100,
        room_id=3,
        move_in_date="2023-01-01",
        moveout_date="2024-05-04",
        moveout_plans_date="2024-05-04",
    )


DAYS: dict[str, list[dict]] = {
    "2024-05-01": [
        _a(6),
        _b(5),
        _c(9),
        tenant(4, 1),
        tenant(5, 12),
    ],
    "2024-05-02": [
        _a(6),
        _b(6, payment=2),
        _c(9),
        tenant(4, 2, apartment_id=100, room_id=4, application_date="2024-05-02"),
        tenant(5, 12),
    ],
    "2024-05-04": [
        _a(6),
        _b(6, payment=2),
        _c(9),
        tenant(4, 4, apartment_id=100, room_id=4, application_date="2024-05-02", move_in_date="2024-05-08"),
    ],
}

NEW_DAY = "2024-05-05"
NEW_DAY_TENANTS = [
    _a(9, moveout_date="2024-05-10", moveout_plans_date="2024-05-10"),
    _b(6, payment=2),
    _c(10),
    tenant(4, 5, apartment_id=100, room_id=4, application_date="2024-05-02", move_in_date="2024-05-08"),
]

CORRECTED_DAY = "2024-05-02"
CORRECTED_TENANTS = [
    _a(6),
    _b(6, payment=2),
    _c(9),
    tenant(4, 1),
    tenant(5, 12),
]


def write_initial(config: Config) -> None:
    for day, tenants in DAYS.items():
        write_day(config, day, tenants, ROOMS)


def write_new_day(config: Config) -> None:
    write_day(config, NEW_DAY, NEW_DAY_TENANTS, ROOMS)


def write_corrected_day(config: Config) -> None:
    write_day(config, CORRECTED_DAY, CORRECTED_TENANTS, ROOMS)


# ----------------------------------------------------------------------------- by hand
# metric columns: applications, new_moveins, new_moveouts, occupancy_delta,
#                 period_start_rooms, period_end_rooms, total_rooms, occupancy_rate (str)

#: actual rows after the first build (T = 05-04)
ACTUALS_INITIAL = {
    # 05-01: period_start A (6, in 04-01) + C (9, in 2023, leaves 05-04 >= 05-01) = 2;
    #        B is in the occupied set but moves in 05-02 (not < 05-01); 2/4 = 0.5
    "2024-05-01": (0, 0, 0, 0, 2, 2, 4, "0.5000"),
    # 05-02: application D (applied 05-02); move-in B (6, in 05-02); start A + C = 2; end 3
    "2024-05-02": (1, 1, 0, 1, 2, 3, 4, "0.7500"),
    # 05-04: move-out C (plans 05-04); start A, B (in 05-02 < 05-04), C (plans >= 05-04) = 3
    "2024-05-04": (0, 0, 1, -1, 3, 2, 4, "0.5000"),
}

#: actual row of the new day (T = 05-05): start A (9, plans 05-10 >= D) + B = 2; C is 10
ACTUAL_NEW_DAY = (0, 0, 0, 0, 2, 2, 4, "0.5000")

#: 05-02 after the corrected dump: D is an inquiry without a room, no application that day
ACTUAL_CORRECTED_DAY = (0, 1, 0, 1, 2, 3, 4, "0.7500")


def projection_initial(forward_days: int) -> dict[str, tuple]:
    """From T = 05-04: D (4, scheduled) moves in 05-08; no occupied pair leaves in the horizon
    (C's moveout_date is T itself). Chain from period_end(05-04) = 2."""
    out = {}
    end = 2
    for i in range(1, forward_days + 1):
        day = f"2024-05-{4 + i:02d}"
        moveins = 1 if day == "2024-05-08" else 0
        start, end = end, end + moveins
        out[day] = (0, moveins, 0, moveins, start, end, 4, f"{end / 4:.4f}")
    return out


def projection_new_day(forward_days: int) -> dict[str, tuple]:
    """From T = 05-05: D (5) moves in 05-08 (+1); A (9, occupied) leaves 05-10 (-1)."""
    import datetime as dt

    out = {}
    end = 2
    t = dt.date(2024, 5, 5)
    for i in range(1, forward_days + 1):
        day = (t + dt.timedelta(days=i)).isoformat()
        ins = 1 if day == "2024-05-08" else 0
        outs = 1 if day == "2024-05-10" else 0
        start, end = end, end + ins - outs
        out[day] = (0, ins, outs, ins - outs, start, end, 4, f"{end / 4:.4f}")
    return out


# history rows: (tenant_id, valid_from, version_number, status, contract_type, payment_status,
#                valid_to, is_current, days_in_status)
HISTORY_INITIAL = [
    (1, "2024-05-01", 1, 6, 1, 1, None, True, 4),
    (2, "2024-05-01", 1, 5, 1, None, "2024-05-01", False, 1),
    (2, "2024-05-02", 2, 6, 1, 2, None, True, 3),
    (3, "2024-05-01", 1, 9, 1, None, None, True, 4),
    (4, "2024-05-01", 1, 1, 1, None, "2024-05-01", False, 1),
    (4, "2024-05-02", 2, 2, 1, None, "2024-05-03", False, 2),  # the gap day 05-03 stays in v2
    (4, "2024-05-04", 3, 4, 1, None, None, True, 1),
    (5, "2024-05-01", 1, 12, 1, None, "2024-05-02", False, 2),  # vanished after 05-02
]

HISTORY_NEW_DAY = [
    (1, "2024-05-01", 1, 6, 1, 1, "2024-05-04", False, 4),
    (1, "2024-05-05", 2, 9, 1, 1, None, True, 1),
    (2, "2024-05-01", 1, 5, 1, None, "2024-05-01", False, 1),
    (2, "2024-05-02", 2, 6, 1, 2, None, True, 4),
    (3, "2024-05-01", 1, 9, 1, None, "2024-05-04", False, 4),
    (3, "2024-05-05", 2, 10, 1, None, None, True, 1),
    (4, "2024-05-01", 1, 1, 1, None, "2024-05-01", False, 1),
    (4, "2024-05-02", 2, 2, 1, None, "2024-05-03", False, 2),
    (4, "2024-05-04", 3, 4, 1, None, "2024-05-04", False, 1),
    (4, "2024-05-05", 4, 5, 1, None, None, True, 1),
    (5, "2024-05-01", 1, 12, 1, None, "2024-05-02", False, 2),
]

#: tenant 4 after the corrected 05-02 dump: 1, 1, (gap), 4, 5
HISTORY_CORRECTED_TENANT_4 = [
    (4, "2024-05-01", 1, 1, 1, None, "2024-05-03", False, 3),
    (4, "2024-05-04", 2, 4, 1, None, "2024-05-04", False, 1),
    (4, "2024-05-05", 3, 5, 1, None, None, True, 1),
]

# transitions after the first build: (tenant_id, valid_from, status_label, previous_status,
#   previous_status_label, status_changed, payment_status_changed)
TRANSITIONS_INITIAL = [
    (1, "2024-05-01", "入居中", None, None, False, False),
    (2, "2024-05-01", "入居予定", None, None, False, False),
    (2, "2024-05-02", "入居中", 5, "入居予定", True, True),  # payment NULL -> 2
    (3, "2024-05-01", "退去予定", None, None, False, False),
    (4, "2024-05-01", "問い合わせ", None, None, False, False),
    (4, "2024-05-02", "申込", 1, "問い合わせ", True, False),  # NULL -> NULL: no change
    (4, "2024-05-04", "契約手続中", 2, "申込", True, False),
    (5, "2024-05-01", "申込取消", None, None, False, False),
]
