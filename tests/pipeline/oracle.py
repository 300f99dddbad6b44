"""An independent, plain-Python reading of SPEC §4, for end-to-end checks.

It shares no code with the SQL models: given each day's canonical rows (the generator's ground
truth), it computes the KPI rows and the status history the way the spec words them.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

OCCUPIED = {4, 5, 6, 7, 9}
SCHEDULED = {4, 5}


def _pairs(tenants: list[dict[str, Any]]) -> dict[tuple[int, int, int], dict[str, Any]]:
    """S(D): tenants with both apartment_id and room_id, keyed by the (tenant, apartment, room) pair."""
    return {
        (t["id"], t["apartment_id"], t["room_id"]): t
        for t in tenants
        if t["apartment_id"] is not None and t["room_id"] is not None
    }


def _rate(end: int, total: int) -> Optional[Decimal]:
    if total == 0:
        return None
    return (Decimal(end) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def metrics(snapshots: dict[dt.date, dict[str, list[dict[str, Any]]]], forward_days: int = 90) -> list[dict]:
    """KPI rows: one actual row per snapshot day, then `forward_days` projected rows after T."""
    rows = []
    for day in sorted(snapshots):
        pairs = _pairs(snapshots[day]["tenants"]).values()
        start = sum(
            1
            for p in pairs
            if p["status"] in OCCUPIED
            and p["move_in_date"] is not None
            and p["move_in_date"] < day
            and (p["moveout_plans_date"] is None or p["moveout_plans_date"] >= day)
        )
        ins = sum(1 for p in pairs if p["status"] in OCCUPIED and p["move_in_date"] == day)
        outs = sum(1 for p in pairs if p["moveout_plans_date"] == day)
        total = sum(1 for r in snapshots[day]["rooms"] if r["is_active"] == 1)
        rows.append(
            {
                "snapshot_date": day,
                "applications": sum(1 for p in pairs if p["application_date"] == day),
                "new_moveins": ins,
                "new_moveouts": outs,
                "occupancy_delta": ins - outs,
                "period_start_rooms": start,
                "period_end_rooms": start + ins - outs,
                "total_rooms": total,
                "occupancy_rate": _rate(start + ins - outs, total),
                "is_projection": False,
                "as_of_snapshot_date": day,
            }
        )
    last = rows[-1]
    latest = max(snapshots)
    pairs = list(_pairs(snapshots[latest]["tenants"]).values())
    end = last["period_end_rooms"]
    for k in range(1, forward_days + 1):
        day = latest + dt.timedelta(days=k)
        ins = sum(1 for p in pairs if p["status"] in SCHEDULED and p["move_in_date"] == day)
        outs = sum(1 for p in pairs if p["status"] in OCCUPIED and p["moveout_date"] == day)
        rows.append(
            {
                "snapshot_date": day,
                "applications": 0,
                "new_moveins": ins,
                "new_moveouts": outs,
                "occupancy_delta": ins - outs,
                "period_start_rooms": end,
                "period_end_rooms": end + ins - outs,
                "total_rooms": last["total_rooms"],
                "occupancy_rate": _rate(end + ins - outs, last["total_rooms"]),
                "is_projection": True,
                "as_of_snapshot_date": latest,
            }
        )
        end = end + ins - outs
    return rows


def history(snapshots: dict[dt.date, dict[str, list[dict[str, Any]]]]) -> list[dict]:
    """Status versions per tenant: a new version at the first snapshot and at each status change."""
    latest = max(snapshots)
    seen: dict[int, list[tuple[dt.date, dict[str, Any]]]] = {}
    for day in sorted(snapshots):
        for t in snapshots[day]["tenants"]:
            seen.setdefault(t["id"], []).append((day, t))
    out = []
    for tenant_id, obs in sorted(seen.items()):
        versions: list[dict[str, Any]] = []
        for day, t in obs:
            if not versions or versions[-1]["status"] != t["status"]:
                versions.append(
                    {
                        "tenant_id": tenant_id,
                        "status": t["status"],
                        "contract_type": t["contract_type"],
                        "payment_status": t["payment_status"],
                        "valid_from": day,
                        "last_seen": day,
                    }
                )
            versions[-1]["last_seen"] = day
        for i, v in enumerate(versions):
            last_seen = v.pop("last_seen")
            if i + 1 < len(versions):
                v["valid_to"] = versions[i + 1]["valid_from"] - dt.timedelta(days=1)
                v["is_current"] = False
            elif obs[-1][0] == latest:
                v["valid_to"] = None
                v["is_current"] = True
            else:
                v["valid_to"] = last_seen
                v["is_current"] = False
            end = latest if v["valid_to"] is None else v["valid_to"]
            v["days_in_status"] = (end - v["valid_from"]).days + 1
            out.append(v)
    return out


def _area(apartment: Optional[dict[str, Any]]) -> str:
    area = apartment["area"] if apartment else None
    return area if area is not None and area.strip() != "" else "(unknown)"


def grouped_metrics(
    snapshots: dict[dt.date, dict[str, list[dict[str, Any]]]], kind: str, forward_days: int = 90
) -> dict[Any, list[dict]]:
    """SPEC §4b: the KPI rows per apartment (`kind` "apartment") or per area ("area").

    Each group's rows are :func:`metrics` over the day's pairs and rooms of that group only, on
    the days the group is found (in the day's apartments, rooms or pairs); its projection only
    when it is found on T, the latest snapshot day.
    """
    latest = max(snapshots)
    members: dict[Any, dict[dt.date, dict[str, list[dict[str, Any]]]]] = {}
    for day, tables in snapshots.items():
        apartments = {a["id"]: a for a in tables["apartments"]}

        def key(apartment_id: Optional[int], apartments: dict = apartments) -> Any:
            if kind == "apartment":
                return apartment_id
            return _area(apartments.get(apartment_id)) if apartment_id is not None else "(unknown)"

        def group(k: Any, day: dt.date = day) -> dict[str, list[dict[str, Any]]]:
            return members.setdefault(k, {}).setdefault(day, {"tenants": [], "rooms": []})

        for apartment_id in apartments:
            group(key(apartment_id))
        for room in tables["rooms"]:
            if kind == "area" or room["apartment_id"] is not None:
                group(key(room["apartment_id"]))["rooms"].append(room)
        for pair in _pairs(tables["tenants"]).values():
            group(key(pair["apartment_id"]))["tenants"].append(pair)
    out = {}
    for k, days in members.items():
        rows = metrics(days, forward_days)
        out[k] = [r for r in rows if not r["is_projection"] or max(days) == latest]
    return out


def accuracy(snapshots: dict[dt.date, dict[str, list[dict[str, Any]]]], forward_days: int = 90) -> list[dict]:
    """SPEC §4b: every snapshot day's projection (made from that day alone) against the actuals."""
    actual = {r["snapshot_date"]: r for r in metrics(snapshots, 0)}
    rows = []
    for as_of in sorted(snapshots):
        made = metrics({d: s for d, s in snapshots.items() if d <= as_of}, forward_days)
        for p in (r for r in made if r["is_projection"]):
            a = actual.get(p["snapshot_date"])
            if a is None:
                continue
            rate_error = None
            if p["occupancy_rate"] is not None and a["occupancy_rate"] is not None:
                rate_error = p["occupancy_rate"] - a["occupancy_rate"]
            rows.append(
                {
                    "as_of_snapshot_date": as_of,
                    "snapshot_date": p["snapshot_date"],
                    "horizon_days": (p["snapshot_date"] - as_of).days,
                    "projected_period_end_rooms": p["period_end_rooms"],
                    "actual_period_end_rooms": a["period_end_rooms"],
                    "error_rooms": p["period_end_rooms"] - a["period_end_rooms"],
                    "projected_occupancy_rate": p["occupancy_rate"],
                    "actual_occupancy_rate": a["occupancy_rate"],
                    "error_rate": rate_error,
                }
            )
    return rows
