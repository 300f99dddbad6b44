"""`lakehouse demo`: the whole pipeline on generated demo data, on this machine alone.

It is the embedded default of SPEC §6: local lake folder, local DuckDB file, and the local
MySQL/MariaDB when one answers. It prints what each step produced so a newcomer sees the
product work end to end in a minute.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from lake.config import Config
from lake.storage import storage_for


def _table(rows: list[tuple[Any, ...]], headers: list[str]) -> str:
    cells = [headers] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _has_dumps(config: Config) -> bool:
    root = config.source.root
    return any(True for _ in storage_for(root, config).list(root))


def _mysql_reachable(config: Config) -> Optional[str]:
    """None when MySQL answers, else why publishing is skipped."""
    from pipeline.devservices import ensure_mariadb, mariadb_reachable

    host, port = config.mysql.host, config.mysql.port
    if host in ("127.0.0.1", "localhost"):
        ok = ensure_mariadb(host, port)
    else:
        ok = mariadb_reachable(host, port)
    return None if ok else f"MySQL at {host}:{port} is not reachable"


def print_warehouse(config: Config) -> None:
    import duckdb

    con = duckdb.connect(config.warehouse.path, read_only=True)
    try:
        cols = (
            "snapshot_date, applications, new_moveins, new_moveouts, occupancy_delta, "
            "period_start_rooms, period_end_rooms, total_rooms, occupancy_rate, is_projection"
        )
        headers = [c.strip() for c in cols.split(",")]
        actual = con.execute(
            f"SELECT {cols} FROM (SELECT {cols} FROM gold.occupancy_daily_metrics "
            "WHERE NOT is_projection ORDER BY snapshot_date DESC LIMIT 7) ORDER BY snapshot_date"
        ).fetchall()
        projected = con.execute(
            f"SELECT {cols} FROM gold.occupancy_daily_metrics WHERE is_projection "
            "ORDER BY snapshot_date LIMIT 7"
        ).fetchall()
        print("\ngold.occupancy_daily_metrics -- last 7 actual days:")
        print(_table(actual, headers))
        print("\ngold.occupancy_daily_metrics -- first 7 projected days:")
        print(_table(projected, headers))
        hist_cols = "tenant_id, version_number, status, status_label, previous_status, valid_from, valid_to, "
        hist_cols += "days_in_status, is_current"
        history = con.execute(
            f"SELECT {hist_cols} FROM gold.tenant_status_transitions WHERE tenant_id IN ("
            "  SELECT tenant_id FROM gold.tenant_status_transitions GROUP BY tenant_id"
            "  ORDER BY count(*) DESC, tenant_id LIMIT 2) ORDER BY tenant_id, valid_from"
        ).fetchall()
        print("\ngold.tenant_status_transitions -- the two tenants with the most versions:")
        print(_table(history, [c.strip() for c in hist_cols.split(",") if c.strip()]))
    finally:
        con.close()


def print_published(config: Config) -> None:
    from publish.connection import connect_mysql

    con = connect_mysql(config)
    try:
        db = config.mysql.databases["gold"]
        with con.cursor() as cur:
            cur.execute(
                f"SELECT snapshot_date, period_end_rooms, total_rooms, occupancy_rate, is_projection "
                f"FROM `{db}`.`occupancy_daily_metrics` ORDER BY snapshot_date DESC LIMIT 5"
            )
            rows = cur.fetchall()
        print(f"\nSELECT ... FROM {db}.occupancy_daily_metrics ORDER BY snapshot_date DESC LIMIT 5 (MySQL):")
        print(
            _table(
                list(rows),
                ["snapshot_date", "period_end_rooms", "total_rooms", "occupancy_rate", "is_projection"],
            )
        )
    finally:
        con.close()


def run_demo(config: Config, days: int = 30, start: dt.date = dt.date(2026, 1, 1), seed: int = 7) -> int:
    from pipeline.daily import run_daily

    if not _has_dumps(config):
        from demo.generate import generate_dumps

        generated = generate_dumps(config, config.source.root, start, days, profile="small", seed=seed)
        print(f"[demo-data] {generated.summary()}")
    else:
        print(f"[demo-data] using the dumps already in {config.source.root}")
    skip_reason = _mysql_reachable(config) if config.publish.enabled else "publish.enabled is false"
    report = run_daily(config, publish=skip_reason is None)
    print(report.summary())
    if skip_reason:
        print(f"[publish] skipped: {skip_reason}")
    print_warehouse(config)
    if report.published:
        print_published(config)
    return 0
