"""What the report shows, read from the analysts' session as plain Python values.

Every number of the page comes from one query here, over the views of
:func:`lake.analysts.open_session` (the marts of the latest models run), never the warehouse
file: a report can be built while ``lakehouse daily`` runs, from any machine that can read the
lake. The queries aggregate in DuckDB, so what reaches Python is small (one row per day, per day
and stage, per day and area, per horizon) even at hundreds of days of history.

The §4 tables (``gold.occupancy_daily_metrics``, ``silver.tenant_daily_snapshots``,
``reference.status_codes``) are required; the §4b tables (by area, projection accuracy) are
optional: a marts version without them gives a report without their sections.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from lake.config import Config
from lake.errors import UsageError

log = logging.getLogger("lakehouse.report")

METRICS = "gold.occupancy_daily_metrics"
SNAPSHOTS = "silver.tenant_daily_snapshots"
STATUS_CODES = "reference.status_codes"
BY_AREA = "gold.occupancy_daily_metrics_by_area"
ACCURACY = "gold.occupancy_projection_accuracy"

#: the tables without which there is no report
REQUIRED = (METRICS, SNAPSHOTS, STATUS_CODES)

METRIC_COLUMNS = (
    "snapshot_date",
    "applications",
    "new_moveins",
    "new_moveouts",
    "occupancy_delta",
    "period_start_rooms",
    "period_end_rooms",
    "total_rooms",
    "occupancy_rate",
    "is_projection",
)

#: the areas drawn in the by-area chart (the ones with the most rooms on T); the table has all
MAX_AREAS = 10

UNKNOWN = "(unknown)"


@dataclass(frozen=True)
class Rows:
    """A small query result: column names and tuples (what the charts and tables need)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def where(self, name: str, value: Any) -> Rows:
        i = self.columns.index(name)
        return Rows(self.columns, [r for r in self.rows if r[i] == value])

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r)) for r in self.rows]


@dataclass
class ReportData:
    """Everything the page shows; built by :func:`collect`."""

    #: T: the latest actual day of gold.occupancy_daily_metrics
    as_of: dt.date
    lake_root: str
    #: when the report was built (UTC)
    generated_at: dt.datetime
    #: every row of gold.occupancy_daily_metrics (METRIC_COLUMNS), by date; rate as float
    metrics: Rows
    #: snapshot_date, category, tenants -- tenants per status stage per snapshot day
    status_mix: Rows
    #: the categories of status_mix in display order (the seed's lifecycle order)
    status_categories: list[str]
    #: "stage", or "status" when the seed has no stage column (one category per status)
    status_mix_by: str
    #: snapshot_date, area, occupancy_rate, is_projection for the charted areas (None: no table)
    by_area: Optional[Rows] = None
    #: the charted areas, most rooms on T first
    areas: list[str] = field(default_factory=list)
    #: area, total_rooms on T, rate on T, rate at the end of the projection -- every area
    area_summary: Optional[Rows] = None
    #: horizon_days, days, mean_error_rooms, mean_abs_error_rooms (None: no table)
    accuracy: Optional[Rows] = None
    #: why an optional section is missing, for the page's footer
    notes: list[str] = field(default_factory=list)

    @property
    def actual(self) -> Rows:
        return self.metrics.where("is_projection", False)

    @property
    def projection(self) -> Rows:
        return self.metrics.where("is_projection", True)

    @property
    def latest_actual(self) -> dict[str, Any]:
        """The metrics row of T."""
        return self.actual.dicts()[-1]

    def last_actual_days(self, n: int = 7) -> list[dict[str, Any]]:
        return self.actual.dicts()[-n:]


def session_tables(con: Any) -> dict[str, set[str]]:
    """{"schema.table": {column, ...}} of every table and view of the session."""
    out: dict[str, set[str]] = {}
    for schema, table, column in con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns"
    ).fetchall():
        out.setdefault(f"{schema}.{table}", set()).add(column)
    return out


def _rows(con: Any, sql: str, params: Optional[Sequence[Any]] = None) -> Rows:
    cur = con.execute(sql, list(params or []))
    return Rows(tuple(d[0] for d in cur.description), [tuple(r) for r in cur.fetchall()])


def check_required(tables: dict[str, set[str]], lake_root: str) -> None:
    """A clear usage error when the marts of the required tables are not in the session."""
    missing = [t for t in REQUIRED if t not in tables]
    if missing:
        raise UsageError(
            f"the lake {lake_root} has no models output yet ({', '.join(missing)} not exported): "
            "run `lakehouse models` (or `lakehouse daily`) first, then `lakehouse report`"
        )
    absent = [c for c in METRIC_COLUMNS if c not in tables[METRICS]]
    if absent:
        raise UsageError(f"{METRICS} in the lake {lake_root} has no column {', '.join(absent)}")


def _metrics(con: Any) -> Rows:
    columns = ", ".join(
        "CAST(occupancy_rate AS DOUBLE) AS occupancy_rate" if c == "occupancy_rate" else c
        for c in METRIC_COLUMNS
    )
    return _rows(con, f"SELECT {columns} FROM {METRICS} ORDER BY snapshot_date")


def _status_mix(con: Any, seed_columns: set[str]) -> tuple[Rows, list[str], str]:
    """Tenants per stage (or per status, when the seed has no stage) per snapshot day.

    Categories are ordered like the seed's lifecycle (by their lowest code); codes missing from
    the seed count under "(unknown)", last. English labels only: the charts' font has no CJK.
    """
    if "stage" in seed_columns:
        by, category = "stage", "NULLIF(trim(CAST(c.stage AS VARCHAR)), '')"
    else:
        by = "status"
        label = "NULLIF(trim(CAST(c.label_en AS VARCHAR)), '')" if "label_en" in seed_columns else "NULL"
        code = "'code ' || CAST(c.code AS VARCHAR)"
        category = f"CASE WHEN c.code IS NULL THEN NULL ELSE coalesce({label}, {code}) END"
    mix = _rows(
        con,
        f"""
        SELECT s.snapshot_date, coalesce({category}, '{UNKNOWN}') AS category,
               count(DISTINCT s.tenant_id) AS tenants, min(c.code) AS first_code
        FROM {SNAPSHOTS} AS s LEFT JOIN {STATUS_CODES} AS c ON s.status = c.code
        GROUP BY 1, 2
        """,
    )
    first: dict[str, Any] = {}
    for _day, cat, _n, code in mix.rows:
        if cat not in first or (code is not None and (first[cat] is None or code < first[cat])):
            first[cat] = code
    categories = sorted(first, key=lambda c: (c == UNKNOWN, first[c] is None, first[c] or 0, c))
    order = {c: i for i, c in enumerate(categories)}
    rows = sorted(((d, c, int(n)) for d, c, n, _code in mix.rows), key=lambda r: (r[0], order[r[1]]))
    return Rows(("snapshot_date", "category", "tenants"), rows), categories, by


def _by_area(con: Any, columns: set[str], as_of: dt.date) -> tuple[Rows, list[str], Rows]:
    rooms = "total_rooms" if "total_rooms" in columns else "NULL"
    area = f"coalesce(NULLIF(trim(CAST(area AS VARCHAR)), ''), '{UNKNOWN}')"
    summary = _rows(
        con,
        f"""
        SELECT {area} AS area,
               max({rooms}) FILTER (WHERE snapshot_date = ? AND NOT is_projection) AS total_rooms,
               max(CAST(occupancy_rate AS DOUBLE)) FILTER (WHERE snapshot_date = ? AND NOT is_projection)
                 AS rate_as_of,
               arg_max(CAST(occupancy_rate AS DOUBLE), snapshot_date) FILTER (WHERE is_projection)
                 AS rate_projection_end
        FROM {BY_AREA} GROUP BY 1 ORDER BY total_rooms DESC NULLS LAST, area
        """,
        [as_of, as_of],
    )
    areas = summary.column("area")[:MAX_AREAS]
    series = _rows(
        con,
        f"SELECT snapshot_date, {area} AS area, CAST(occupancy_rate AS DOUBLE) AS occupancy_rate, "
        f"is_projection FROM {BY_AREA} ORDER BY area, snapshot_date",
    )
    wanted = set(areas)
    series = Rows(series.columns, [r for r in series.rows if r[1] in wanted])
    return series, areas, summary


def _accuracy(con: Any) -> Rows:
    return _rows(
        con,
        f"""
        SELECT horizon_days, count(error_rooms) AS days,
               avg(error_rooms) AS mean_error_rooms, avg(abs(error_rooms)) AS mean_abs_error_rooms
        FROM {ACCURACY} WHERE horizon_days IS NOT NULL GROUP BY 1 ORDER BY 1
        """,
    )


def _optional(
    tables: dict[str, set[str]], table: str, needed: Sequence[str], notes: list[str]
) -> Optional[set[str]]:
    """The columns of an optional table, or None (with a note) when it cannot be shown."""
    if table not in tables:
        log.debug("%s is not in the marts: its section is left out", table)
        return None
    absent = [c for c in needed if c not in tables[table]]
    if absent:
        notes.append(f"{table} is left out: it has no column {', '.join(absent)}")
        log.warning("%s", notes[-1])
        return None
    return tables[table]


def collect(con: Any, lake_root: str, generated_at: Optional[dt.datetime] = None) -> ReportData:
    """Query an analysts' session (see :func:`lake.analysts.open_session`) for the report."""
    tables = session_tables(con)
    check_required(tables, lake_root)
    metrics = _metrics(con)
    actual_days = [r[0] for r in metrics.rows if not r[-1]]
    if not actual_days:
        raise UsageError(
            f"{METRICS} in the lake {lake_root} has no actual day yet: ingest a dump "
            "(lakehouse ingest) and run `lakehouse models` first"
        )
    as_of = max(actual_days)
    mix, categories, by = _status_mix(con, tables[STATUS_CODES])
    data = ReportData(
        as_of=as_of,
        lake_root=lake_root,
        generated_at=generated_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
        metrics=metrics,
        status_mix=mix,
        status_categories=categories,
        status_mix_by=by,
    )
    area_columns = _optional(
        tables, BY_AREA, ("snapshot_date", "area", "occupancy_rate", "is_projection"), data.notes
    )
    if area_columns is not None:
        data.by_area, data.areas, data.area_summary = _by_area(con, area_columns, as_of)
    if _optional(tables, ACCURACY, ("horizon_days", "error_rooms"), data.notes) is not None:
        data.accuracy = _accuracy(con)
    return data


def load_report_data(config: Config, generated_at: Optional[dt.datetime] = None) -> ReportData:
    """Open an analysts' session on the config's lake, collect the report's data, close it."""
    from lake.analysts import open_session

    con = open_session(config)
    try:
        return collect(con, config.lake.root, generated_at)
    finally:
        con.close()
