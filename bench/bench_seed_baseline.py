"""Baseline: the old Glue + dbt + Aurora pipeline's approach, run in MariaDB on the benchmark lake.

    .venv/bin/python bench/bench_seed_baseline.py [--days 400] [--repeat 3] [--workdir DIR]
                                                  [--json FILE] [--markdown FILE]

The product replaces a pipeline whose code is not available; every figure of the product is
meant to be read against this reconstruction of it, measured on the same data in the same run.
The old pipeline kept the daily snapshots in MySQL tables, rebuilt the status history with a
dbt model (`materialized='table'`, the classic LAG/LEAD SCD2 over every snapshot) and computed
the KPIs in a Glue job that looped over the dates, one SQL query per date.

Steps (MariaDB at 127.0.0.1:3306, database `bench_seed_baseline`, dropped and recreated, and
dropped again at the end unless `--keep`):

1. **lake**: the realistic simulated lake of `--days` days that bench/bench_models.py uses
   (`stage_lake`: `demo.generate.write_lake_direct`, seed 7; ~14M tenant rows at 400 days).
2. **product** (reference, and the correctness oracle): `pipeline.models.run_models` builds the
   product's warehouse on that lake (its first build), then the product's own history query is
   timed directly in DuckDB (`bench_models.direct_history_seconds`, best of `--repeat`).
3. **load** (set-up, timed but not part of the baseline): the lake's tenants and rooms exported
   from DuckDB to CSV in primary-key order and bulk-loaded with `LOAD DATA LOCAL INFILE` into
   `tenant_snapshots` (PRIMARY KEY (tenant_id, snapshot_date)) and `rooms_snapshots` (PRIMARY
   KEY (snapshot_date, id)); then the secondary index `ix_tenant_snapshots_date (snapshot_date)`
   (what a loader that replaces a day and a job that reads one day would have) and ANALYZE.
4. **history rebuild, THE baseline figure**: what `dbt run` does for a `materialized='table'`
   model on MySQL: CREATE TABLE tenant_status_history__dbt_tmp AS (<HISTORY_SQL>), RENAME the
   old table to __dbt_backup and the new one in, DROP the backup. Median of `--repeat`.
5. **KPI loop**: the Glue job's loop over 94 dates, one query per date: the last
   `lookback_days` + 1 = 4 snapshot days T-3..T (actuals from S(D), R(D)) and T+1..T+90
   (projections from S(T), R(T), period_start_rooms chained from the previous date's row),
   then the 94 rows replaced in `occupancy_daily_metrics` in one transaction. Median of
   `--repeat`. These are the dates one daily run of the product recomputes (SPEC §4:
   lookback + the new day, plus the projection).
6. **checks** (non-zero exit when one fails): the MariaDB history equals the product's
   `silver.tenant_status_history` as sets of (tenant_id, valid_from, valid_to, status,
   is_current, days_in_status), and also on (version_number, contract_type, payment_status);
   the 94 KPI rows equal `gold.occupancy_daily_metrics` of the same dates (integers, flags
   and as-of dates equal, occupancy_rate to 4 decimals).

The server runs with its own settings (nothing global is changed: the server is shared); its
buffer pool size and temp-table limits are printed with the figures, with the InnoDB pages read
from outside the buffer pool during each timed step (the server-wide counter).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Optional

import pymysql

REPO = Path(__file__).resolve().parent.parent
for _p in (REPO, REPO / "bench"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from bench_models import direct_history_seconds, stage_lake  # noqa: E402

from lake.config import Config  # noqa: E402
from lake.connection import connect as duck_connect  # noqa: E402
from lake.manifest import table_sql  # noqa: E402

MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
DATABASE = "bench_seed_baseline"
HISTORY = "tenant_status_history"

TENANT_COLUMNS = (
    "snapshot_date", "tenant_id", "status", "contract_type", "payment_status", "apartment_id", "room_id",
    "application_date", "move_in_date", "moveout_date", "moveout_plans_date",
)  # fmt: skip

# The snapshot tables as the old pipeline's daily loader kept them (one row per tenant and day).
# The secondary index is added after the bulk load (a sorted index build instead of 14M random
# inserts into it); the daily loader's "replace one day" DELETE and the KPI job's per-date
# queries are what it is for.
DDL = (
    """CREATE TABLE tenant_snapshots (
        snapshot_date DATE NOT NULL,
        tenant_id INT NOT NULL,
        status INT,
        contract_type INT,
        payment_status INT NULL,
        apartment_id INT NULL,
        room_id INT NULL,
        application_date DATE NULL,
        move_in_date DATE NULL,
        moveout_date DATE NULL,
        moveout_plans_date DATE NULL,
        PRIMARY KEY (tenant_id, snapshot_date)
    ) ENGINE=InnoDB""",
    """CREATE TABLE rooms_snapshots (
        snapshot_date DATE NOT NULL,
        id INT NOT NULL,
        apartment_id INT NULL,
        is_active INT NULL,
        PRIMARY KEY (snapshot_date, id)
    ) ENGINE=InnoDB""",
    # yesterday's model output, so that every timed rebuild does the same statements
    f"""CREATE TABLE {HISTORY} (
        tenant_id INT NOT NULL, valid_from DATE, version_number DECIMAL(42,0), status INT,
        contract_type INT, payment_status INT, valid_to DATE, is_current INT, days_in_status BIGINT
    ) ENGINE=InnoDB""",
    """CREATE TABLE occupancy_daily_metrics (
        snapshot_date DATE NOT NULL PRIMARY KEY,
        applications INT NOT NULL,
        new_moveins INT NOT NULL,
        new_moveouts INT NOT NULL,
        occupancy_delta INT NOT NULL,
        period_start_rooms INT NOT NULL,
        period_end_rooms INT NOT NULL,
        total_rooms INT NOT NULL,
        occupancy_rate DECIMAL(5,4) NULL,
        is_projection TINYINT(1) NOT NULL,
        as_of_snapshot_date DATE NOT NULL,
        updated_at DATETIME NOT NULL
    ) ENGINE=InnoDB""",
)
SECONDARY_INDEX = "ALTER TABLE tenant_snapshots ADD INDEX ix_tenant_snapshots_date (snapshot_date)"

# The dbt model's compiled SELECT (models/silver/tenant_status_history.sql of the old project, as
# such a model is written): SPEC §4 SCD2 by comparing each snapshot with the tenant's previous
# one over every snapshot of every tenant.
# * a version starts at the first snapshot and where status differs from the previous
#   snapshot's (null-safe: <=>); the running SUM of the flags numbers the versions;
# * GROUP BY version: valid_from = its first snapshot, its last snapshot date; status,
#   contract_type and payment_status of its first snapshot (the only flagged row of the group);
# * LEAD(valid_from) closes a version the day before the next one; a tenant's last version is
#   current when its last snapshot is the latest snapshot date, else it vanished and ends on
#   its last snapshot; days_in_status counts to valid_to or, when current, the latest date.
# Gaps (days without a dump, or a tenant missing for a while) neither split nor close a version:
# only the order of the snapshots matters.
HISTORY_SQL = """
WITH snapshots AS (
    SELECT
        tenant_id,
        snapshot_date,
        status,
        contract_type,
        payment_status,
        LAG(status) OVER (PARTITION BY tenant_id ORDER BY snapshot_date) AS previous_status,
        ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY snapshot_date) AS snapshot_number
    FROM tenant_snapshots
),
flagged AS (
    SELECT
        snapshots.*,
        CASE WHEN snapshot_number = 1 OR NOT (status <=> previous_status) THEN 1 ELSE 0 END
            AS is_version_start
    FROM snapshots
),
numbered AS (
    SELECT
        flagged.*,
        SUM(is_version_start) OVER (
            PARTITION BY tenant_id ORDER BY snapshot_date
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS version_number
    FROM flagged
),
versions AS (
    SELECT
        tenant_id,
        version_number,
        MIN(snapshot_date) AS valid_from,
        MAX(snapshot_date) AS last_snapshot_date,
        MAX(CASE WHEN is_version_start = 1 THEN status END) AS status,
        MAX(CASE WHEN is_version_start = 1 THEN contract_type END) AS contract_type,
        MAX(CASE WHEN is_version_start = 1 THEN payment_status END) AS payment_status
    FROM numbered
    GROUP BY tenant_id, version_number
),
latest AS (
    SELECT MAX(snapshot_date) AS latest_snapshot_date FROM tenant_snapshots
),
sequenced AS (
    SELECT
        versions.*,
        LEAD(valid_from) OVER (PARTITION BY tenant_id ORDER BY valid_from) AS next_valid_from,
        latest.latest_snapshot_date
    FROM versions
    CROSS JOIN latest
),
closed AS (
    SELECT
        sequenced.*,
        CASE
            WHEN next_valid_from IS NOT NULL THEN next_valid_from - INTERVAL 1 DAY
            WHEN last_snapshot_date = latest_snapshot_date THEN NULL
            ELSE last_snapshot_date
        END AS valid_to,
        CASE WHEN next_valid_from IS NULL AND last_snapshot_date = latest_snapshot_date
            THEN 1 ELSE 0 END AS is_current
    FROM sequenced
)
SELECT
    tenant_id,
    valid_from,
    version_number,
    status,
    contract_type,
    payment_status,
    valid_to,
    is_current,
    DATEDIFF(COALESCE(valid_to, latest_snapshot_date), valid_from) + 1 AS days_in_status
FROM closed
"""

# dbt-core's table materialization (its default; dbt-mysql's is the same sequence): build into
# __dbt_tmp, move the old table to __dbt_backup, move the new one in, drop the backup.
DBT_TABLE_STATEMENTS = (
    f"DROP TABLE IF EXISTS {HISTORY}__dbt_tmp",
    f"DROP TABLE IF EXISTS {HISTORY}__dbt_backup",
    f"CREATE TABLE {HISTORY}__dbt_tmp AS ({HISTORY_SQL})",
    f"RENAME TABLE {HISTORY} TO {HISTORY}__dbt_backup",
    f"RENAME TABLE {HISTORY}__dbt_tmp TO {HISTORY}",
    f"DROP TABLE IF EXISTS {HISTORY}__dbt_backup",
)

# The Glue job's queries: one row of SPEC §4 per date. "Pairs" are COUNT(DISTINCT tenant_id,
# apartment_id, room_id) (a NULL member, here the CASE of a row failing the condition, is not
# counted); S(D) is the day's tenants with both apartment_id and room_id; a NULL date never
# matches a comparison. MariaDB divides integers to div_precision_increment (4) decimals,
# rounding half up, so ROUND(.., 4) is exactly SPEC's half-up rate.
ACTUAL_SQL = """
SELECT applications, new_moveins, new_moveouts, new_moveins - new_moveouts AS occupancy_delta,
       period_start_rooms, period_start_rooms + new_moveins - new_moveouts AS period_end_rooms,
       total_rooms,
       CASE WHEN total_rooms > 0
            THEN ROUND((period_start_rooms + new_moveins - new_moveouts) / total_rooms, 4) END
           AS occupancy_rate
FROM (
    SELECT
        COUNT(DISTINCT CASE WHEN t.application_date = %(d)s THEN t.tenant_id END,
              t.apartment_id, t.room_id) AS applications,
        COUNT(DISTINCT CASE WHEN t.status IN {occupied} AND t.move_in_date = %(d)s THEN t.tenant_id END,
              t.apartment_id, t.room_id) AS new_moveins,
        COUNT(DISTINCT CASE WHEN t.moveout_plans_date = %(d)s THEN t.tenant_id END,
              t.apartment_id, t.room_id) AS new_moveouts,
        COUNT(DISTINCT CASE WHEN t.status IN {occupied} AND t.move_in_date < %(d)s
                             AND (t.moveout_plans_date IS NULL OR t.moveout_plans_date >= %(d)s)
                            THEN t.tenant_id END,
              t.apartment_id, t.room_id) AS period_start_rooms,
        (SELECT COUNT(DISTINCT r.id) FROM rooms_snapshots r
         WHERE r.snapshot_date = %(d)s AND r.is_active = 1) AS total_rooms
    FROM tenant_snapshots t
    WHERE t.snapshot_date = %(d)s AND t.apartment_id IS NOT NULL AND t.room_id IS NOT NULL
) k
"""

# A projected date D from the snapshot of T; period_start_rooms is the previous date's
# period_end_rooms (SPEC §4: T+1 starts from the actual row of T), which the loop passes in.
PROJECTION_SQL = """
SELECT 0 AS applications, new_moveins, new_moveouts, new_moveins - new_moveouts AS occupancy_delta,
       %(start)s AS period_start_rooms, %(start)s + new_moveins - new_moveouts AS period_end_rooms,
       total_rooms,
       CASE WHEN total_rooms > 0
            THEN ROUND((%(start)s + new_moveins - new_moveouts) / total_rooms, 4) END AS occupancy_rate
FROM (
    SELECT
        COUNT(DISTINCT CASE WHEN t.status IN {scheduled} AND t.move_in_date = %(d)s THEN t.tenant_id END,
              t.apartment_id, t.room_id) AS new_moveins,
        COUNT(DISTINCT CASE WHEN t.status IN {occupied} AND t.moveout_date = %(d)s THEN t.tenant_id END,
              t.apartment_id, t.room_id) AS new_moveouts,
        (SELECT COUNT(DISTINCT r.id) FROM rooms_snapshots r
         WHERE r.snapshot_date = %(t)s AND r.is_active = 1) AS total_rooms
    FROM tenant_snapshots t
    WHERE t.snapshot_date = %(t)s AND t.apartment_id IS NOT NULL AND t.room_id IS NOT NULL
) k
"""

KPI_COLUMNS = (
    "snapshot_date", "applications", "new_moveins", "new_moveouts", "occupancy_delta", "period_start_rooms",
    "period_end_rooms", "total_rooms", "occupancy_rate", "is_projection", "as_of_snapshot_date",
)  # fmt: skip
HISTORY_KEY = ("tenant_id", "valid_from", "valid_to", "status", "is_current", "days_in_status")
HISTORY_ATTRS = ("tenant_id", "valid_from", "version_number", "contract_type", "payment_status")


def mysql(database: Optional[str] = None) -> Any:
    return pymysql.connect(
        **MYSQL, database=database, local_infile=True, autocommit=True, charset="utf8mb4", read_timeout=7200
    )


def server_settings(cur: Any) -> dict[str, str]:
    names = (
        "version",
        "innodb_buffer_pool_size",
        "tmp_table_size",
        "max_heap_table_size",
        "sort_buffer_size",
    )
    cur.execute(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN (" + ", ".join(["%s"] * len(names)) + ")", names
    )
    return {k: v for k, v in cur.fetchall()}


def pages_read(cur: Any) -> int:
    """InnoDB pages read from outside the buffer pool so far (server-wide: others count too)."""
    cur.execute("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'")
    return int(cur.fetchone()[1])


def tmp_disk_tables(cur: Any) -> int:
    cur.execute("SHOW SESSION STATUS LIKE 'Created_tmp_disk_tables'")
    return int(cur.fetchone()[1])


def load_csv(cur: Any, path: Path, table: str, columns: tuple[str, ...], rows: int) -> None:
    """LOAD DATA LOCAL INFILE of a DuckDB CSV (unquoted NULL is NULL), as publish/bulkload.py does."""
    cur.execute(
        f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} CHARACTER SET utf8mb4 "
        "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
        f"LINES TERMINATED BY '\\n' ({', '.join(columns)})",
        (str(path),),
    )
    loaded = cur.rowcount
    cur.execute("SELECT @@warning_count")
    warnings = int(cur.fetchone()[0])
    if warnings or loaded != rows:
        cur.execute("SHOW WARNINGS LIMIT 5")
        raise RuntimeError(
            f"loading {table}: {loaded} of {rows} rows, {warnings} warning(s): {cur.fetchall()}"
        )


def load_mariadb(cfg: Config, scratch: Path) -> dict[str, Any]:
    """Set-up: fresh database, the lake's snapshots exported to CSV and bulk-loaded (timed per part)."""
    scratch.mkdir(parents=True, exist_ok=True)
    duck = duck_connect(cfg)
    con = mysql()
    timings: dict[str, Any] = {}
    try:
        cur = con.cursor()
        cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cur.execute(f"CREATE DATABASE {DATABASE}")
        cur.execute(f"USE {DATABASE}")
        for ddl in DDL:
            cur.execute(ddl)
        sources = (
            (
                "tenant_snapshots",
                TENANT_COLUMNS,
                "SELECT snapshot_date, id AS tenant_id, status, contract_type, payment_status, "
                "apartment_id, room_id, application_date, move_in_date, moveout_date, moveout_plans_date "
                f"FROM {table_sql(cfg, 'tenants')} ORDER BY id, snapshot_date",
            ),
            (
                "rooms_snapshots",
                ("snapshot_date", "id", "apartment_id", "is_active"),
                f"SELECT snapshot_date, id, apartment_id, is_active FROM {table_sql(cfg, 'rooms')} "
                "ORDER BY snapshot_date, id",
            ),
        )
        for table, columns, select in sources:
            path = scratch / f"{table}.csv"
            t0 = time.perf_counter()
            rows = int(
                duck.execute(
                    f"COPY ({select}) TO '{path}' (FORMAT csv, HEADER false, DELIMITER ',', NULLSTR 'NULL')"
                ).fetchone()[0]
            )
            t1 = time.perf_counter()
            load_csv(cur, path, table, columns, rows)
            t2 = time.perf_counter()
            path.unlink()
            timings[table] = {"rows": rows, "export_seconds": t1 - t0, "load_seconds": t2 - t1}
            print(
                f"  {table}: {rows:,} rows, CSV export {t1 - t0:.1f}s, LOAD DATA {t2 - t1:.1f}s", flush=True
            )
        t0 = time.perf_counter()
        cur.execute(SECONDARY_INDEX)
        cur.execute("ANALYZE TABLE tenant_snapshots, rooms_snapshots")
        cur.fetchall()
        timings["index_and_analyze_seconds"] = time.perf_counter() - t0
        cur.execute(
            "SELECT table_name, data_length + index_length FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name IN ('tenant_snapshots', 'rooms_snapshots')",
            (DATABASE,),
        )
        timings["bytes"] = {name: int(size) for name, size in cur.fetchall()}
        print(f"  index + ANALYZE {timings['index_and_analyze_seconds']:.1f}s", flush=True)
    finally:
        con.close()
        duck.close()
    return timings


def rebuild_history(cur: Any) -> dict[str, float]:
    """One `dbt run` of the history model: seconds of its CREATE TABLE AS and of all statements."""
    t0 = time.perf_counter()
    ctas = 0.0
    for sql in DBT_TABLE_STATEMENTS:
        s0 = time.perf_counter()
        cur.execute(sql)
        if sql.startswith("CREATE TABLE"):
            ctas = time.perf_counter() - s0
    return {"seconds": time.perf_counter() - t0, "create_table_as_seconds": ctas}


def kpi_dates(
    cur: Any, lookback_days: int, forward_days: int
) -> tuple[dt.date, list[dt.date], list[dt.date]]:
    """T, the snapshot days among T-lookback..T, and the projected days T+1..T+forward."""
    cur.execute("SELECT MAX(snapshot_date) FROM tenant_snapshots")
    latest = cur.fetchone()[0]
    cur.execute(
        "SELECT DISTINCT snapshot_date FROM tenant_snapshots WHERE snapshot_date >= %s "
        "ORDER BY snapshot_date",
        (latest - dt.timedelta(days=lookback_days),),
    )
    actual = [r[0] for r in cur.fetchall()]
    return latest, actual, [latest + dt.timedelta(days=h) for h in range(1, forward_days + 1)]


def kpi_loop(cur: Any, cfg: Config) -> list[tuple[Any, ...]]:
    """The Glue job: one query per date, then the rows replaced in occupancy_daily_metrics."""
    codes = {
        "occupied": "(" + ", ".join(str(int(c)) for c in cfg.kpi.occupied_status_codes) + ")",
        "scheduled": "(" + ", ".join(str(int(c)) for c in cfg.kpi.scheduled_status_codes) + ")",
    }
    actual_sql = ACTUAL_SQL.format(**codes)
    projection_sql = PROJECTION_SQL.format(**codes)
    latest, actual, projected = kpi_dates(cur, cfg.kpi.lookback_days, cfg.kpi.forward_days)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    rows: list[tuple[Any, ...]] = []
    period_end = None
    for day in actual:
        cur.execute(actual_sql, {"d": day})
        values = cur.fetchone()
        rows.append((day, *values, 0, day, now))
        period_end = values[5]
    if period_end is None or actual[-1] != latest:
        raise RuntimeError(f"no actual row for the latest snapshot {latest}")
    for day in projected:
        cur.execute(projection_sql, {"d": day, "t": latest, "start": period_end})
        values = cur.fetchone()
        rows.append((day, *values, 1, latest, now))
        period_end = values[5]
    con = cur.connection
    con.begin()
    try:
        # the rewritten window, and stale projections beyond the new horizon
        cur.execute("DELETE FROM occupancy_daily_metrics WHERE snapshot_date >= %s", (actual[0],))
        cur.executemany(
            f"INSERT INTO occupancy_daily_metrics ({', '.join(KPI_COLUMNS)}, updated_at) "
            f"VALUES ({', '.join(['%s'] * (len(KPI_COLUMNS) + 1))})",
            rows,
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return rows


def timed(label: str, repeat: int, run: Callable[[], dict[str, Any]], cur: Any) -> dict[str, Any]:
    """`repeat` runs of `run`: every run's figures, the median and best seconds."""
    runs = []
    for i in range(repeat):
        reads, disk_tables = pages_read(cur), tmp_disk_tables(cur)
        result = run()
        result["pages_read_from_disk"] = pages_read(cur) - reads
        result["tmp_disk_tables"] = tmp_disk_tables(cur) - disk_tables
        runs.append(result)
        print(
            f"{label} {i + 1}/{repeat}: {result['seconds']:.1f}s ({result['pages_read_from_disk']:,} pages "
            f"read into the buffer pool, {result['tmp_disk_tables']} on-disk temp tables)",
            flush=True,
        )
    secs = [r["seconds"] for r in runs]
    return {"median_seconds": statistics.median(secs), "best_seconds": min(secs), "runs": runs}


def history_baseline(cfg: Config, scratch: Path, repeat: int, keep: bool = False) -> dict[str, Any]:
    """Steps 3, 4 and the history check on `cfg`'s lake and warehouse, for another bench's same run.

    Returns the load timings (``load``), the server's settings, the rebuild's runs with their
    median and best seconds (``history``) and the check (``check_history``, ``ok`` False when the
    baseline's history differs from the product's); the database is dropped again unless `keep`.
    """
    t0 = time.perf_counter()
    out: dict[str, Any] = {"load": load_mariadb(cfg, scratch)}
    out["load"]["seconds"] = time.perf_counter() - t0
    shutil.rmtree(scratch, ignore_errors=True)
    con = mysql(DATABASE)
    try:
        cur = con.cursor()
        out["server"] = server_settings(cur)
        out["history"] = timed("history rebuild (dbt table)", repeat, lambda: rebuild_history(cur), cur)
        out["check_history"] = check_history(cfg, cur)
        if not keep:
            cur.execute(f"DROP DATABASE {DATABASE}")
    finally:
        con.close()
    return out


def check_history(cfg: Config, cur: Any) -> dict[str, Any]:
    """MariaDB's history against the product's silver.tenant_status_history (sets, both ways)."""
    import pyarrow as pa

    cols = ("tenant_id", "valid_from", "version_number", "status", "contract_type", "payment_status",
            "valid_to", "is_current", "days_in_status")  # fmt: skip
    cur.execute(f"SELECT {', '.join(cols)} FROM {HISTORY}")
    data = list(zip(*cur.fetchall())) or [()] * len(cols)
    types = (pa.int64(), pa.date32(), pa.int64(), pa.int64(), pa.int64(), pa.int64(), pa.date32(),
             pa.bool_(), pa.int64())  # fmt: skip
    arrays = []
    for values, typ in zip(data, types):
        if typ == pa.int64():
            values = [None if v is None else int(v) for v in values]
        elif typ == pa.bool_():
            values = [None if v is None else bool(v) for v in values]
        arrays.append(pa.array(values, type=typ))
    baseline = pa.Table.from_arrays(arrays, names=list(cols))  # noqa: F841 (read by DuckDB below)
    duck = duck_connect(cfg, database=cfg.warehouse.path, read_only=True)
    try:
        duck.register("baseline_history", baseline)
        product = "(SELECT * FROM silver.tenant_status_history)"

        def differ(keys: tuple[str, ...]) -> tuple[int, int]:
            k = ", ".join(keys)
            return tuple(
                int(duck.execute(f"SELECT count(*) FROM (SELECT {k} FROM {a} EXCEPT ALL SELECT {k} FROM {b})")
                    .fetchone()[0])
                for a, b in (("baseline_history", product), (product, "baseline_history"))
            )  # fmt: skip

        result = {
            "baseline_versions": baseline.num_rows,
            "product_versions": int(duck.execute(f"SELECT count(*) FROM {product}").fetchone()[0]),
            "only_baseline_only_product": differ(HISTORY_KEY),
            "attributes_only_baseline_only_product": differ(HISTORY_ATTRS),
        }
        # how much of SPEC §4's edge cases the data exercises (counted on the product's tables)
        vanished, returning = duck.execute(
            f"SELECT count(*) FILTER (WHERE NOT current), count(*) FILTER (WHERE versions > statuses) FROM "
            f"(SELECT tenant_id, bool_or(is_current) AS current, count(*) AS versions, "
            f"count(DISTINCT status) AS statuses FROM {product} GROUP BY tenant_id)"
        ).fetchone()
        absent = duck.execute(
            "SELECT count(*) FROM (SELECT tenant_id FROM silver.tenant_daily_snapshots GROUP BY tenant_id "
            "HAVING count(*) < max(snapshot_date) - min(snapshot_date) + 1)"
        ).fetchone()[0]
        result["coverage"] = {
            "vanished_tenants": int(vanished),
            "tenants_back_to_an_earlier_status": int(returning),
            "tenants_absent_from_some_snapshots_between": int(absent),
        }
        if result["only_baseline_only_product"] != (0, 0):
            k = ", ".join(HISTORY_KEY)
            result["examples"] = [
                [str(v) for v in r]
                for r in duck.execute(
                    f"(SELECT 'baseline', {k} FROM baseline_history "
                    f"EXCEPT SELECT 'baseline', {k} FROM {product}) "
                    f"UNION ALL (SELECT 'product', {k} FROM {product} "
                    f"EXCEPT SELECT 'product', {k} FROM baseline_history) ORDER BY 2, 3, 1 LIMIT 6"
                ).fetchall()
            ]
    finally:
        duck.close()
    result["ok"] = (
        result["only_baseline_only_product"] == (0, 0)
        and result["attributes_only_baseline_only_product"] == (0, 0)
        and result["baseline_versions"] == result["product_versions"]
    )
    return result


def check_kpis(cfg: Config, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The loop's rows against gold.occupancy_daily_metrics of the same dates."""

    def norm(row: tuple[Any, ...]) -> tuple[Any, ...]:
        out = []
        for name, v in zip(KPI_COLUMNS, row):
            if name == "occupancy_rate":
                v = None if v is None else Decimal(v).quantize(Decimal("0.0001"))
            elif name == "is_projection":
                v = bool(v)
            elif name not in ("snapshot_date", "as_of_snapshot_date"):
                v = int(v)
            out.append(v)
        return tuple(out)

    ours = {r[0]: norm(r[: len(KPI_COLUMNS)]) for r in rows}
    duck = duck_connect(cfg, database=cfg.warehouse.path, read_only=True)
    try:
        product_rows = duck.execute(
            f"SELECT {', '.join(KPI_COLUMNS)} FROM gold.occupancy_daily_metrics WHERE snapshot_date >= ? "
            "ORDER BY snapshot_date",
            [min(ours)],
        ).fetchall()
    finally:
        duck.close()
    theirs = {r[0]: norm(r) for r in product_rows}
    differing = sorted(d for d in set(ours) | set(theirs) if ours.get(d) != theirs.get(d))
    return {
        "baseline_rows": len(ours),
        "product_rows": len(theirs),
        "differing_dates": [d.isoformat() for d in differing],
        "examples": [[str(ours.get(d)), str(theirs.get(d))] for d in differing[:3]],
        "ok": not differing and len(ours) == len(theirs),
    }


def result_text(figures: dict[str, Any]) -> str:
    """The result table (step, seconds, rows) and the checks, server settings and load as notes."""
    ch, ck = figures["check_history"], figures["check_kpis"]
    h, k, ld = figures["history"], figures["kpi_loop"], figures["load"]
    tenants, rooms = ld["tenant_snapshots"], ld["rooms_snapshots"]
    n = figures["repeat"]
    lake = "lake staged (simulation, Parquet)" + (", reused" if figures["lake_reused"] else "")
    ctas = statistics.median(r["create_table_as_seconds"] for r in h["runs"])
    rows = [
        (lake, figures["stage_lake_seconds"], tenants["rows"]),
        (
            f"product: `run_models` ({figures['product_build_action']}; reference)",
            figures["product_build_seconds"],
            ch["product_versions"],
        ),
        (
            f"product: its history query in DuckDB (best of {n}; reference)",
            figures["product_history_best_seconds"],
            ch["product_versions"],
        ),
        ("set-up: tenants CSV export (DuckDB)", tenants["export_seconds"], tenants["rows"]),
        ("set-up: LOAD DATA tenant_snapshots", tenants["load_seconds"], tenants["rows"]),
        (
            "set-up: rooms CSV export + LOAD DATA",
            rooms["export_seconds"] + rooms["load_seconds"],
            rooms["rows"],
        ),
        ("set-up: index (snapshot_date) + ANALYZE", ld["index_and_analyze_seconds"], None),
        ("set-up: load total", ld["seconds"], None),
        (f"**baseline: history rebuild, dbt table (median of {n})**", h["median_seconds"], h["rows"]),
        (f"baseline: history rebuild (best of {n})", h["best_seconds"], h["rows"]),
        (f"baseline: of which CREATE TABLE AS (median of {n})", ctas, h["rows"]),
        (f"**baseline: KPI loop, {k['rows']} dates (median of {n})**", k["median_seconds"], k["rows"]),
        (f"baseline: KPI loop (best of {n})", k["best_seconds"], k["rows"]),
    ]
    table = ["| step | seconds | rows |", "|---|---:|---:|"]
    for name, secs, count in rows:
        table.append(f"| {name} | {secs:.1f} | {'' if count is None else f'{count:,}'} |")
    verdict = {True: "ok", False: "DIFFERS"}
    cov = ch["coverage"]
    s = figures["server"]
    mb = 1024 * 1024
    before, after = figures["load_average"]["before"], figures["load_average"]["after"]
    ratio = h["best_seconds"] / figures["product_history_best_seconds"]
    notes = [
        f"history vs the product's silver.tenant_status_history: {verdict[ch['ok']]} "
        f"({ch['baseline_versions']:,} versions in MariaDB, {ch['product_versions']:,} in the product; "
        f"rows only in one side: {ch['only_baseline_only_product']} on (tenant_id, valid_from, valid_to, "
        f"status, is_current, days_in_status), {ch['attributes_only_baseline_only_product']} on "
        f"(version_number, contract_type, payment_status)); the data has {cov['vanished_tenants']:,} "
        f"vanished tenants, {cov['tenants_back_to_an_earlier_status']:,} back to an earlier status "
        f"(A->B->A), {cov['tenants_absent_from_some_snapshots_between']:,} absent from some snapshots "
        "and back",
        f"KPI rows vs gold.occupancy_daily_metrics: {verdict[ck['ok']]} ({ck['baseline_rows']} rows "
        f"{k['dates'][0]}..{k['dates'][1]}, {k['actual_dates']} actual; product {ck['product_rows']}; "
        f"differing dates: {len(ck['differing_dates'])})",
        f"baseline history rebuild / the product's history query: {ratio:.0f}x (best vs best)",
        f"MariaDB {s.get('version')} with its own settings (unchanged): innodb_buffer_pool_size "
        f"{int(s['innodb_buffer_pool_size']) // mb} MB, tmp_table_size {int(s['tmp_table_size']) // mb} MB, "
        f"sort_buffer_size {int(s['sort_buffer_size']) // mb} MB; the two snapshot tables take "
        f"{sum(ld['bytes'].values()) / mb:,.0f} MB (data + indexes)",
        f"{figures['cores']} cores; load average before {before[0]:.2f} / {before[1]:.2f} / {before[2]:.2f}, "
        f"after {after[0]:.2f} / {after[1]:.2f} / {after[2]:.2f} (1/5/15 min); {figures['days']}-day lake, "
        "realistic profile, seed 7",
    ]
    return "\n".join(table) + "\n\n" + "\n".join(f"* {note}" for note in notes)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--days", type=int, default=400, help="snapshot days of the simulated lake")
    p.add_argument("--repeat", type=int, default=3, help="runs of each timed baseline step (median)")
    p.add_argument(
        "--workdir", help="keep the staged lake and the product's warehouse here (default: a temp dir)"
    )
    p.add_argument("--json", help="write the figures to this file")
    p.add_argument("--markdown", help="write the result table to this file")
    p.add_argument("--keep", action="store_true", help=f"keep the MySQL database {DATABASE}")
    args = p.parse_args(argv)

    load_before = os.getloadavg()
    print(
        f"load average before: {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}", flush=True
    )
    tmp = None
    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-seed-baseline-")
        workdir = Path(tmp.name)
    figures: dict[str, Any] = {"days": args.days, "repeat": args.repeat, "cores": os.cpu_count()}
    try:
        figures["lake_reused"] = (workdir / "staging" / f".complete-{args.days}").exists()
        t0 = time.perf_counter()
        cfg = stage_lake(workdir, args.days)
        figures["stage_lake_seconds"] = time.perf_counter() - t0
        print(f"lake staged in {figures['stage_lake_seconds']:.1f}s", flush=True)

        from pipeline.models import run_models

        t0 = time.perf_counter()
        report = run_models(cfg)
        figures["product_build_seconds"] = time.perf_counter() - t0
        figures["product_build_action"] = f"{report.action}, {report.reason}"
        print(f"product warehouse: {report.summary()} in {figures['product_build_seconds']:.1f}s", flush=True)
        product_history, _ = direct_history_seconds(cfg, args.repeat)
        figures["product_history_best_seconds"] = product_history
        print(f"product history query in DuckDB: {product_history:.2f}s (best of {args.repeat})", flush=True)

        print(f"loading MariaDB database {DATABASE}", flush=True)
        figures.update(history_baseline(cfg, workdir / "csv", args.repeat, keep=True))

        con = mysql(DATABASE)
        try:
            cur = con.cursor()
            cur.execute(f"SELECT COUNT(*) FROM {HISTORY}")
            figures["history"]["rows"] = int(cur.fetchone()[0])
            kpi_rows: list[tuple[Any, ...]] = []

            def loop() -> dict[str, Any]:
                t = time.perf_counter()
                kpi_rows[:] = kpi_loop(cur, cfg)
                return {"seconds": time.perf_counter() - t}

            figures["kpi_loop"] = timed("KPI loop", args.repeat, loop, cur)
            figures["kpi_loop"]["rows"] = len(kpi_rows)
            figures["kpi_loop"]["dates"] = [kpi_rows[0][0].isoformat(), kpi_rows[-1][0].isoformat()]
            figures["kpi_loop"]["actual_dates"] = sum(1 for r in kpi_rows if not r[9])
            figures["check_kpis"] = check_kpis(cfg, kpi_rows)
            if not args.keep:
                cur.execute(f"DROP DATABASE {DATABASE}")
        finally:
            con.close()
    finally:
        if tmp is not None:
            tmp.cleanup()
        elif args.workdir:
            shutil.rmtree(workdir / "csv", ignore_errors=True)

    load_after = os.getloadavg()
    figures["load_average"] = {"before": load_before, "after": load_after}
    text = result_text(figures)
    print()
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")
    ch, ck = figures["check_history"], figures["check_kpis"]
    if not ch["ok"] or not ck["ok"]:
        print("CHECK FAILED: the baseline does not compute what the product computes", file=sys.stderr)
        if ch.get("examples"):
            print(f"history examples: {ch['examples']}", file=sys.stderr)
        if ck["examples"]:
            print(f"KPI examples (baseline, product): {ck['examples']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
