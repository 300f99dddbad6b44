"""A real MariaDB source database and real `mysqldump` output for the loader tests.

The tables mimic a PMS schema: the lake's columns sit between columns the lake does not need,
in another order than the lake's, next to unrelated tables, a trigger and a view. String
values are hostile on purpose (quotes, backslashes, newlines, `),(`, `;`, `INSERT INTO`, emoji,
Japanese) so the parser must decode MySQL escapes exactly.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import pymysql

HOST, PORT, USER = "127.0.0.1", 3306, "root"

HOSTILE = [
    "O'Brien",
    'say "hi"',
    "back\\slash",
    "trailing backslash\\",
    "quote at end'",
    "\\'",
    "''",
    "line1\nline2\r\nline3",
    "tab\there",
    "),(",
    "a);\nINSERT INTO `tenants` VALUES (999,'x');",
    "; DROP TABLE tenants; --",
    "-- Dump completed on 2024-01-01",
    "NULL",
    "",
    "nul\x00byte and ctrl-z \x1a",
    "山田 太郎",
    "グエン・ヴァン・アン 🏠😀",
    "\\n is not a newline",
    "%_ like chars \\% \\_",
]

TENANTS_DDL = """
CREATE TABLE tenants (
  id INT NOT NULL,
  notes TEXT,
  full_name VARCHAR(200),
  status INT NOT NULL,
  contract_type INT,
  payment_status INT NULL,
  apartment_id BIGINT NULL,
  room_id BIGINT NULL,
  application_date DATE NULL,
  move_in_date DATE NULL,
  moveout_date DATE NULL,
  moveout_plans_date DATE NULL,
  created_at DATETIME NULL,
  photo BLOB NULL,
  score DECIMAL(6,2) NULL,
  PRIMARY KEY (id),
  KEY idx_room (room_id)
) DEFAULT CHARSET=utf8mb4
"""
ROOMS_DDL = """
CREATE TABLE rooms (
  id INT NOT NULL PRIMARY KEY,
  room_number VARCHAR(20) NOT NULL,
  apartment_id INT NOT NULL,
  floor_plan VARCHAR(50),
  is_active TINYINT(1) NOT NULL DEFAULT 1
) DEFAULT CHARSET=utf8mb4
"""
APARTMENTS_DDL = """
CREATE TABLE apartments (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  area VARCHAR(50),
  address TEXT
) DEFAULT CHARSET=utf8mb4
"""
NOISE_DDL = [
    "CREATE TABLE tenants_log (id INT AUTO_INCREMENT PRIMARY KEY, tenant_id INT, msg TEXT)",
    "CREATE TABLE `tenant` (id INT PRIMARY KEY, full_name VARCHAR(50)) DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE audit_events (id INT AUTO_INCREMENT PRIMARY KEY, payload LONGTEXT, raw BLOB)",
    "CREATE VIEW active_rooms AS SELECT id, room_number FROM rooms WHERE is_active = 1",
    """CREATE TRIGGER tenants_audit AFTER UPDATE ON tenants FOR EACH ROW
BEGIN
INSERT INTO tenants_log (tenant_id, msg) VALUES (NEW.id, 'changed;');
INSERT INTO audit_events (payload) VALUES ('x');
END""",
    """CREATE TRIGGER tenants_log_undo AFTER DELETE ON tenants_log FOR EACH ROW
BEGIN
INSERT INTO tenants (id, status) VALUES (OLD.id + 100000, 1);
END""",
]


def connect(db: Optional[str] = None) -> Any:
    return pymysql.connect(
        host=HOST, port=PORT, user=USER, password="", database=db, charset="utf8mb4", autocommit=True
    )


def tenant_rows(n: int = 60, seed_day: dt.date = dt.date(2024, 3, 1)) -> list[tuple]:
    """Rows for `tenants` in the source's column order, cycling through the hostile strings."""
    rows = []
    for i in range(1, n + 1):
        s = HOSTILE[i % len(HOSTILE)]
        zero = i % 7 == 0
        rows.append(
            (
                i,
                HOSTILE[(i * 3) % len(HOSTILE)] * (1 + i % 3),  # notes
                None if i % 11 == 0 else s,  # full_name
                i % 18,  # status
                1 + i % 3,  # contract_type
                None if i % 4 == 0 else i % 5,  # payment_status
                None if i % 9 == 0 else 100 + i % 13,
                None if i % 9 == 0 else 1000 + i,
                "0000-00-00" if zero else seed_day - dt.timedelta(days=i),
                None if i % 5 == 0 else seed_day + dt.timedelta(days=i % 40),
                "0000-00-00" if i % 13 == 0 else (None if i % 2 else seed_day + dt.timedelta(days=300 + i)),
                None if i % 3 else seed_day + dt.timedelta(days=200 + i),
                "0000-00-00 00:00:00" if zero else dt.datetime(2023, 1, 1, 12, 0, i % 60),
                bytes(range(256)) if i % 10 == 0 else (b"\x01\x00'\\\xfe\xff" if i % 10 == 1 else None),
                i * 1.25,
            )
        )
    return rows


@contextmanager
def source_database(tenants: int = 60, noise_rows: int = 300) -> Iterator[str]:
    """A fresh database with tenants/rooms/apartments and noise tables; dropped afterwards."""
    db = f"t_{uuid.uuid4().hex[:10]}_src"
    con = connect()
    try:
        with con.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
            cur.execute(f"USE `{db}`")
            cur.execute("SET SESSION sql_mode = ''")  # zero dates are allowed, as in old PMSes
            for ddl in (TENANTS_DDL, ROOMS_DDL, APARTMENTS_DDL, *NOISE_DDL):
                cur.execute(ddl)
            cur.executemany(
                "INSERT INTO tenants VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                tenant_rows(tenants),
            )
            cur.executemany(
                "INSERT INTO rooms VALUES (%s,%s,%s,%s,%s)",
                [(1000 + i, f"{i % 50}0{i % 7}", 100 + i % 13, HOSTILE[i % len(HOSTILE)], i % 4 != 0)
                 for i in range(1, 41)],
            )  # fmt: skip
            cur.executemany(
                "INSERT INTO apartments VALUES (%s,%s,%s,%s)",
                [(100 + i, f"シェアハウス{i} {HOSTILE[i % len(HOSTILE)]}", ["渋谷区", "新宿区", None][i % 3],
                  HOSTILE[(i + 5) % len(HOSTILE)]) for i in range(13)],
            )  # fmt: skip
            cur.executemany(
                "INSERT INTO tenants_log (tenant_id, msg) VALUES (%s,%s)",
                [(i, HOSTILE[i % len(HOSTILE)] * 3) for i in range(noise_rows)],
            )
            cur.executemany("INSERT INTO `tenant` VALUES (%s,%s)", [(i, "decoy") for i in range(1, 4)])
            cur.executemany(
                "INSERT INTO audit_events (payload, raw) VALUES (%s,%s)",
                [("INSERT INTO `tenants` VALUES (1,'x');\n" * 3, bytes(range(256))) for _ in range(20)],
            )
        yield db
    finally:
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        con.close()


def execute(db: str, *sql: str) -> None:
    con = connect(db)
    try:
        with con.cursor() as cur:
            cur.execute("SET SESSION sql_mode = ''")
            for s in sql:
                cur.execute(s)
    finally:
        con.close()


def fetch(db: str, sql: str) -> list[tuple]:
    con = connect(db)
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        con.close()


def mysqldump(db: str, out: Path, *options: str, compress: bool = True) -> Path:
    """Run the real `mysqldump` (default options plus `options`) into `out` (gzip when asked)."""
    cmd = ["mysqldump", f"-h{HOST}", f"-P{PORT}", f"-u{USER}", *options, db]
    out.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(out, "wb") as fh:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, check=True)
            fh.write(proc.stdout)
    else:
        with open(out, "wb") as fh:
            subprocess.run(cmd, stdout=fh, check=True)
    return out


def have_mysqldump() -> bool:
    return shutil.which("mysqldump") is not None
