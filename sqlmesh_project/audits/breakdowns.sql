/*
  Audits of the SPEC §4b tables. The breakdowns (gold.occupancy_daily_metrics_by_area /
  _by_apartment): on every date, actual or projected, the groups add up to the company-wide row
  of gold.occupancy_daily_metrics. The accuracy table: its errors are projected - actual. Each
  returns the offending rows; any row blocks the plan or run.
*/

-- Areas: every count column sums to the company-wide row (the '(unknown)' area takes the
-- rest; a date without any group sums to zeros), and no group has a date the company lacks.
AUDIT (
  name metrics_by_area_add_up
);
WITH group_sums AS (
  SELECT
    snapshot_date,
    SUM(applications) AS applications,
    SUM(new_moveins) AS new_moveins,
    SUM(new_moveouts) AS new_moveouts,
    SUM(occupancy_delta) AS occupancy_delta,
    SUM(period_start_rooms) AS period_start_rooms,
    SUM(period_end_rooms) AS period_end_rooms,
    SUM(total_rooms) AS total_rooms
  FROM @this_model
  GROUP BY snapshot_date
)
SELECT
  company.snapshot_date AS company_date,
  group_sums.snapshot_date AS group_date
FROM gold.occupancy_daily_metrics AS company
FULL OUTER JOIN group_sums
  ON company.snapshot_date = group_sums.snapshot_date
WHERE company.snapshot_date IS NULL
  OR COALESCE(group_sums.applications, 0) <> company.applications
  OR COALESCE(group_sums.new_moveins, 0) <> company.new_moveins
  OR COALESCE(group_sums.new_moveouts, 0) <> company.new_moveouts
  OR COALESCE(group_sums.occupancy_delta, 0) <> company.occupancy_delta
  OR COALESCE(group_sums.period_start_rooms, 0) <> company.period_start_rooms
  OR COALESCE(group_sums.period_end_rooms, 0) <> company.period_end_rooms
  OR COALESCE(group_sums.total_rooms, 0) <> company.total_rooms;

-- Apartments: the same, except that their total_rooms leaves out rooms without apartment
-- (so it may only be smaller).
AUDIT (
  name metrics_by_apartment_add_up
);
WITH group_sums AS (
  SELECT
    snapshot_date,
    SUM(applications) AS applications,
    SUM(new_moveins) AS new_moveins,
    SUM(new_moveouts) AS new_moveouts,
    SUM(occupancy_delta) AS occupancy_delta,
    SUM(period_start_rooms) AS period_start_rooms,
    SUM(period_end_rooms) AS period_end_rooms,
    SUM(total_rooms) AS total_rooms
  FROM @this_model
  GROUP BY snapshot_date
)
SELECT
  company.snapshot_date AS company_date,
  group_sums.snapshot_date AS group_date
FROM gold.occupancy_daily_metrics AS company
FULL OUTER JOIN group_sums
  ON company.snapshot_date = group_sums.snapshot_date
WHERE company.snapshot_date IS NULL
  OR COALESCE(group_sums.applications, 0) <> company.applications
  OR COALESCE(group_sums.new_moveins, 0) <> company.new_moveins
  OR COALESCE(group_sums.new_moveouts, 0) <> company.new_moveouts
  OR COALESCE(group_sums.occupancy_delta, 0) <> company.occupancy_delta
  OR COALESCE(group_sums.period_start_rooms, 0) <> company.period_start_rooms
  OR COALESCE(group_sums.period_end_rooms, 0) <> company.period_end_rooms
  OR COALESCE(group_sums.total_rooms, 0) > company.total_rooms;

-- gold.occupancy_projection_accuracy: h = D - T' within 1 .. @forward_days and the errors are
-- projected - actual.
AUDIT (
  name accuracy_errors_are_projected_minus_actual
);
SELECT *
FROM @this_model
WHERE horizon_days IS DISTINCT FROM snapshot_date - as_of_snapshot_date
  OR horizon_days NOT BETWEEN 1 AND @forward_days
  OR error_rooms IS DISTINCT FROM projected_period_end_rooms - actual_period_end_rooms
  OR error_rate IS DISTINCT FROM projected_occupancy_rate - actual_occupancy_rate;
