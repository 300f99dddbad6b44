"""The SPEC §4b add-up audit (audits/breakdowns.sql) blocks groups that do not add up.

The breakdown models compute their groups from the same pairs as the company-wide models, so
correct SQL never fails the audit; these tests break a computed row in the warehouse (the only
way to make the groups disagree) and run the real `sqlmesh audit` on the small lake
(small_lake.py: apartment 100, every room and pair in it; no apartments table, so one area,
'(unknown)').
"""

from __future__ import annotations

import re
import subprocess

import duckdb
import pytest

from tests.sqlmesh_project import small_lake as lake

# end to end with the real SQLMesh: `make test` runs them, a plain `pytest` does not
pytestmark = pytest.mark.slow

AUDIT = "groups_add_up_to_company"


def tamper(project, model: str, update: str) -> None:
    """Run `update` (an UPDATE ... SET ... WHERE ... of `t`) on the table behind the prod view of `model`."""
    schema, name = model.split(".")
    con = duckdb.connect(project.config.warehouse.path)
    try:
        (sql,) = con.execute(
            "SELECT sql FROM duckdb_views() WHERE schema_name = ? AND view_name = ?", [schema, name]
        ).fetchone()
        physical = re.search(r'FROM\s+("?[\w]+"?\."?sqlmesh__\w+"?\."?\w+"?)', sql).group(1)
        changed = con.execute(update.replace("UPDATE t", f"UPDATE {physical}")).fetchone()[0]
        assert changed == 1, f"{update} changed {changed} rows"
    finally:
        con.close()


def audit(project, model: str) -> subprocess.CompletedProcess:
    return project.sqlmesh(
        "audit", "--start", "2024-05-01", "--end", "2024-05-04", "--model", model, check=False
    )  # fmt: skip


@pytest.mark.parametrize(
    "model, update",
    [
        # an apartment's actual move-ins of 05-02 one too many (the company counted 1)
        (
            "intermediate.occupancy_group_daily_actuals",
            "UPDATE t SET new_moveins = new_moveins + 1 "
            "WHERE snapshot_date = DATE '2024-05-02' AND group_kind = 'apartment'",
        ),
        # the area's projected rooms of 05-06 one too few
        (
            "intermediate.occupancy_group_daily_projection",
            "UPDATE t SET period_end_rooms = period_end_rooms - 1 "
            "WHERE snapshot_date = DATE '2024-05-06' AND group_kind = 'area'",
        ),
        # an area with more active rooms than the company has
        (
            "intermediate.occupancy_group_daily_actuals",
            "UPDATE t SET total_rooms = total_rooms + 1 "
            "WHERE snapshot_date = DATE '2024-05-04' AND group_kind = 'area'",
        ),
    ],
    ids=["actual apartment move-ins", "projected area rooms", "area total rooms"],
)
def test_a_group_row_that_does_not_add_up_fails_the_audit(project, model, update):
    lake.write_initial(project.config)
    project.lakehouse("models", check=True)
    passed = audit(project, model)
    assert passed.returncode == 0, passed.stdout[-3000:]
    assert re.search(rf"{AUDIT} on model {model} \S* ?PASS", passed.stdout), passed.stdout[-3000:]

    tamper(project, model, update)
    failed = audit(project, model)
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert re.search(rf"{AUDIT} on model {model} \S* ?FAIL", failed.stdout), failed.stdout[-3000:]


def test_the_apartments_may_have_fewer_rooms_than_the_company(project):
    """A room without apartment is in no apartment: the apartments' total_rooms may be smaller."""
    lake.write_initial(project.config)
    project.lakehouse("models", check=True)
    tamper(
        project,
        "intermediate.occupancy_group_daily_actuals",
        "UPDATE t SET total_rooms = total_rooms - 1 "
        "WHERE snapshot_date = DATE '2024-05-04' AND group_kind = 'apartment'",
    )
    proc = audit(project, "intermediate.occupancy_group_daily_actuals")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert re.search(rf"{AUDIT} on model \S+ \S* ?PASS", proc.stdout), proc.stdout[-3000:]
