"""Checks that make a publish fail instead of publishing wrong rows.

* :func:`check_keys` -- the warehouse has no duplicate or NULL grain keys (MySQL's primary key
  would reject them half-way, or REPLACE would silently keep only one of the duplicates);
* :func:`verify` / :func:`verify_days` -- what MySQL holds inside the publish transaction,
  after the writes and before COMMIT, equals the warehouse: row count and checksum per table,
  or per day for the day-windowed table. A mismatch raises, the transaction rolls back, and
  readers never see the wrong rows.
"""

from __future__ import annotations

import datetime as dt

from lake.errors import PublishError
from publish.tables import TableSpec
from publish.warehouse import Fingerprint, Warehouse

ROLLED_BACK = "nothing was published (every table keeps its previous content)"


def check_keys(wh: Warehouse, spec: TableSpec, where: str = "") -> None:
    dup = wh.duplicate_keys(spec, where)
    if dup:
        raise PublishError(
            f"warehouse table {spec.source} has {dup} duplicate row(s) on its grain "
            f"({', '.join(spec.key)}); {ROLLED_BACK}"
        )


def verify(spec: TableSpec, table: str, expected: Fingerprint, got: Fingerprint) -> None:
    if expected != got:
        raise PublishError(
            f"verification failed for {table}: warehouse {spec.source} has {expected[0]} rows "
            f"(checksum {expected[1]}), MySQL would have {got[0]} rows (checksum {got[1]}); {ROLLED_BACK}"
        )


def verify_days(
    spec: TableSpec, table: str, expected: dict[dt.date, Fingerprint], got: dict[dt.date, Fingerprint]
) -> None:
    if expected == got:
        return
    bad = sorted(d for d in set(expected) | set(got) if expected.get(d) != got.get(d))
    shown = ", ".join(
        f"{d}: warehouse {expected.get(d, (0, 0))[0]} rows, MySQL {got.get(d, (0, 0))[0]} rows"
        for d in bad[:3]
    )
    total_w = sum(n for n, _ in expected.values())
    total_m = sum(n for n, _ in got.values())
    raise PublishError(
        f"verification failed for {table}: {len(bad)} day(s) differ from warehouse {spec.source} "
        f"({shown}{', ...' if len(bad) > 3 else ''}; totals {total_w} vs {total_m} rows); {ROLLED_BACK}"
    )
