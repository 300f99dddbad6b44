"""gold.occupancy_projection_accuracy end to end on the small hand-worked lake (small_lake.py).

Projections worked out by hand (forward_days 10), T = 05-04:
* as of 05-01: end 2 of 4; B (scheduled) moves in 05-02 (+1), C (notice) leaves 05-04 (-1):
  05-02 -> 3, 05-03 -> 3, 05-04 -> 2;
* as of 05-02: end 3; C leaves 05-04: 05-03 -> 3, 05-04 -> 2.
Actuals: 05-02 end 3 (0.7500), 05-04 end 2 (0.5000); 05-03 is a gap day (no row).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.lakefiles import tenant, write_day

# end to end with the real SQLMesh: `make test` runs them, a plain `pytest` does not
pytestmark = pytest.mark.slow

D = dt.date.fromisoformat


def accuracy(project) -> list[tuple]:
    rows = project.query(
        "SELECT as_of_snapshot_date, snapshot_date, horizon_days, projected_period_end_rooms, "
        "actual_period_end_rooms, error_rooms, projected_occupancy_rate::VARCHAR, "
        "actual_occupancy_rate::VARCHAR, error_rate::VARCHAR "
        "FROM gold.occupancy_projection_accuracy ORDER BY 1, 2"
    )
    return [(a.isoformat(), d.isoformat(), *rest) for a, d, *rest in rows]


def test_each_projection_meets_the_actuals_that_arrived_and_a_corrected_day_changes_its_rows(project):
    lake.write_initial(project.config)
    project.lakehouse("models", check=True)
    assert accuracy(project) == [
        ("2024-05-01", "2024-05-02", 1, 3, 3, 0, "0.7500", "0.7500", "0.0000"),
        ("2024-05-01", "2024-05-04", 3, 2, 2, 0, "0.5000", "0.5000", "0.0000"),
        ("2024-05-02", "2024-05-04", 2, 2, 2, 0, "0.5000", "0.5000", "0.0000"),
    ]

    # 05-01 is corrected: C's notice has no contractual move-out date, so the projection as of
    # 05-01 keeps C (05-04 -> 3 instead of 2); 05-01's own actual row does not change. The row
    # (05-01, 05-04) lies outside the restated day, and must change all the same.
    c_without_moveout = tenant(3, 9, apartment_id=100, room_id=3, move_in_date="2023-01-01",
                               moveout_plans_date="2024-05-04")  # fmt: skip
    write_day(
        project.config,
        "2024-05-01",
        [*lake.DAYS["2024-05-01"][:2], c_without_moveout, *lake.DAYS["2024-05-01"][3:]],
    )
    project.lakehouse("models", check=True)
    assert accuracy(project) == [
        ("2024-05-01", "2024-05-02", 1, 3, 3, 0, "0.7500", "0.7500", "0.0000"),
        ("2024-05-01", "2024-05-04", 3, 3, 2, 1, "0.7500", "0.5000", "0.2500"),
        ("2024-05-02", "2024-05-04", 2, 2, 2, 0, "0.5000", "0.5000", "0.0000"),
    ]

    # a new day adds the rows whose D is that day: 05-05 (actual end 2) against the projections
    # as of 05-01 (h 4: C kept by the corrected dump -> 3), 05-02 (h 3: 2) and 05-04 (h 1: 2)
    lake.write_new_day(project.config)
    project.lakehouse("models", check=True)
    new_rows = [r for r in accuracy(project) if r[1] == "2024-05-05"]
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in new_rows] == [
        ("2024-05-01", 4, 3, 2, 1),
        ("2024-05-02", 3, 2, 2, 0),
        ("2024-05-04", 1, 2, 2, 0),
    ]
