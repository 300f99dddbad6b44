"""THE KEY TEST: a generated dump is what MariaDB 10.11's own mysqldump would have written.

A generated dump is loaded into a fresh MariaDB database with the real `mariadb` client and
dumped back with the real `mysqldump` (same options): the two texts must be identical except
the `-- Host:` line and the completion time. The rows MariaDB holds must be the simulation's
expected rows, and the independent test parser must read the same values MariaDB decoded.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re

import pytest

from demo.generate import expected_rows, generate_dumps
from tests.demo.refparse import parse_dump

START = dt.date(2026, 1, 1)
DAY = dt.date(2026, 1, 12)
_VOLATILE = re.compile(rb"^(-- Host: .*|-- Dump completed on .*)$", re.M)


def _normalise(text: bytes) -> bytes:
    return _VOLATILE.sub(b"<volatile>", text)


@pytest.mark.parametrize(
    "options,flags",
    [
        ({}, ()),
        ({"extended_insert": False}, ("--skip-extended-insert",)),
        ({"complete_insert": True}, ("--complete-insert",)),
    ],
    ids=["default", "skip-extended-insert", "complete-insert"],
)
def test_dump_matches_real_mysqldump_byte_for_byte(local_config, scratch_db, tmp_path, options, flags):
    report = generate_dumps(local_config, str(tmp_path / "dumps"), START, 12, workers=1, **options)
    ours = gzip.decompress((tmp_path / "dumps" / "20260112.sql.gz").read_bytes())
    assert report.files[-1].endswith("20260112.sql.gz")

    scratch_db.load(ours)
    theirs = scratch_db.mysqldump(*flags)

    assert theirs.count(b"\n") == ours.count(b"\n")
    assert _normalise(theirs) == _normalise(ours)
    # the byte comparison covered statement splitting: some table needed several INSERTs
    if not options:
        assert max(t.statements for t in parse_dump(ours).values()) >= 2


def test_mariadb_holds_the_expected_rows(local_config, scratch_db, tmp_path):
    generate_dumps(local_config, str(tmp_path / "dumps"), START, 12, workers=1)
    ours = gzip.decompress((tmp_path / "dumps" / "20260112.sql.gz").read_bytes())
    scratch_db.load(ours)
    truth = expected_rows(START, DAY, days=12)

    con = scratch_db.connect()
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT id, status, contract_type, payment_status, full_name, apartment_id, room_id, "
                "application_date, move_in_date, moveout_date, moveout_plans_date FROM tenants ORDER BY id"
            )
            tenants = [tuple(r) for r in cur.fetchall()]
            cur.execute("SELECT id, apartment_id, room_number, is_active FROM rooms ORDER BY id")
            rooms = [tuple(r) for r in cur.fetchall()]
            cur.execute("SELECT id, name, area FROM apartments ORDER BY id")
            apartments = [tuple(r) for r in cur.fetchall()]
            cur.execute("SELECT * FROM tenants ORDER BY id")
            every_column = [tuple(r) for r in cur.fetchall()]
    finally:
        con.close()

    assert tenants == [tuple(r.values()) for r in truth["tenants"]]
    assert rooms == [tuple(r.values()) for r in truth["rooms"]]
    assert apartments == [tuple(r.values()) for r in truth["apartments"]]
    assert len(tenants) > 200

    # the reference parser decodes every column of every row to what MariaDB decoded
    parsed = parse_dump(ours, only={"tenants"})["tenants"].rows
    as_text = [tuple(None if v is None else str(v) for v in row) for row in every_column]
    assert [tuple(None if v is None else str(v) for v in row) for row in parsed] == as_text
    hostile = [r[4] for r in tenants if any(c in r[4] for c in "'\"\\\n\t\r\x00\x1a😀")]
    assert len(hostile) >= 10
