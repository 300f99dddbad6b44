"""Macros for the occupancy KPIs of SPEC §4, so each rule is written once."""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro


@macro()
def pairs(evaluator, condition):
    """`COUNT(DISTINCT (tenant_id, apartment_id, room_id))` over the rows meeting `condition`.

    SPEC §4: every count of "pairs" counts distinct (tenant, apartment, room) triples. A
    condition that is NULL (e.g. a NULL date compared with a day) is not true: not counted.
    """
    return exp.maybe_parse(
        "CAST(COUNT(DISTINCT (tenant_id, apartment_id, room_id)) FILTER (WHERE "
        + condition.sql(dialect="duckdb")
        + ") AS INTEGER)",
        dialect="duckdb",
    )


@macro()
def occupancy_rate(evaluator, rooms, total_rooms):
    """`rooms / total_rooms` rounded half-up to 4 decimals as DECIMAL(5,4); NULL when no rooms.

    Computed on integers (floor((2*10000*rooms + total) / (2*total))), so the half-up rounding
    is exact: 1/8 = 0.125 -> 0.1250 and 0.00005 -> 0.0001, never a binary-float 0.12499999.
    """
    r = rooms.sql(dialect="duckdb")
    t = total_rooms.sql(dialect="duckdb")
    return exp.maybe_parse(
        f"CASE WHEN {t} > 0 THEN CAST(CAST(FLOOR((20000.0 * ({r}) + ({t})) / (2.0 * ({t}))) "
        f"AS DECIMAL(18, 0)) * CAST(0.0001 AS DECIMAL(5, 4)) AS DECIMAL(5, 4)) END",
        dialect="duckdb",
    )


@macro()
def area_group(evaluator, area):
    """An apartment's area for the by-area breakdown (SPEC §4b): NULL when NULL or empty.

    The caller maps NULL (and an apartment missing from the day's snapshot, or a room without
    apartment) to the area '(unknown)'.
    """
    a = area.sql(dialect="duckdb")
    return exp.maybe_parse(f"CASE WHEN TRIM({a}) = '' THEN NULL ELSE {a} END", dialect="duckdb")


#: the KPI columns every occupancy table carries after its own keys, in their published order
KPI_COLUMNS = (
    "applications",
    "new_moveins",
    "new_moveouts",
    "occupancy_delta",
    "period_start_rooms",
    "period_end_rooms",
    "total_rooms",
    "occupancy_rate",
    "is_projection",
    "as_of_snapshot_date",
    "updated_at",
)


@macro()
def kpi_columns(evaluator):
    """The KPI columns (KPI_COLUMNS), for the unions of actual and projected rows by name."""
    return [exp.column(name) for name in KPI_COLUMNS]
