/*
  Audits of the SPEC §4b tables. The breakdowns: on every date, actual or projected, the groups
  of each kind add up to the company-wide row. They run on the models that hold the rows
  (intermediate.occupancy_group_daily_actuals, checked on each computed interval, and
  intermediate.occupancy_group_daily_projection, of T), not on the gold views, which only
  union those rows: so a daily run checks the days it computed, not every date again. The
  accuracy table: its errors are projected - actual. Each returns the offending rows; any row
  blocks the plan or run.
*/

-- The groups of each kind (apartment, area) add up to the company-wide rows of @company with the
-- same @time_column (the audited rows' range) in every count column: a date without any group
-- sums to zeros, and no group has a date the company lacks. The areas' total_rooms equal the
-- company's ('(unknown)' takes the rest); the apartments' may only be smaller (a room without
-- apartment is in no apartment).
AUDIT (
  name groups_add_up_to_company
);
WITH audited_range AS (
  SELECT
    MIN(@time_column) AS first_day,
    MAX(@time_column) AS last_day
  FROM @this_model
),

company_rows AS (
  SELECT *
  FROM @company
  WHERE @time_column BETWEEN (SELECT first_day FROM audited_range) AND (SELECT last_day FROM audited_range)
),

expected AS (
  SELECT company_rows.*, group_kinds.group_kind
  FROM company_rows
  CROSS JOIN (VALUES ('apartment'), ('area')) AS group_kinds(group_kind)
),

group_sums AS (
  SELECT
    @time_column AS time_value,
    snapshot_date,
    group_kind,
    SUM(applications) AS applications,
    SUM(new_moveins) AS new_moveins,
    SUM(new_moveouts) AS new_moveouts,
    SUM(occupancy_delta) AS occupancy_delta,
    SUM(period_start_rooms) AS period_start_rooms,
    SUM(period_end_rooms) AS period_end_rooms,
    SUM(total_rooms) AS total_rooms
  FROM @this_model
  GROUP BY @time_column, snapshot_date, group_kind
)

SELECT
  COALESCE(expected.group_kind, group_sums.group_kind) AS group_kind,
  expected.snapshot_date AS company_date,
  group_sums.snapshot_date AS group_date
FROM expected
FULL OUTER JOIN group_sums
  ON expected.@time_column = group_sums.time_value
  AND expected.snapshot_date = group_sums.snapshot_date
  AND expected.group_kind = group_sums.group_kind
WHERE expected.snapshot_date IS NULL
  OR COALESCE(group_sums.applications, 0) <> expected.applications
  OR COALESCE(group_sums.new_moveins, 0) <> expected.new_moveins
  OR COALESCE(group_sums.new_moveouts, 0) <> expected.new_moveouts
  OR COALESCE(group_sums.occupancy_delta, 0) <> expected.occupancy_delta
  OR COALESCE(group_sums.period_start_rooms, 0) <> expected.period_start_rooms
  OR COALESCE(group_sums.period_end_rooms, 0) <> expected.period_end_rooms
  OR CASE expected.group_kind
    WHEN 'area' THEN COALESCE(group_sums.total_rooms, 0) <> expected.total_rooms
    ELSE COALESCE(group_sums.total_rooms, 0) > expected.total_rooms
  END;

-- gold.occupancy_projection_accuracy: h = D - T' within 1 .. @forward_days and the errors are
-- projected - actual.
AUDIT (
  name accuracy_errors_are_projected_minus_actual
);
SELECT *
FROM @this_model
WHERE horizon_days IS DISTINCT FROM DATE_DIFF('day', as_of_snapshot_date, snapshot_date)
  OR horizon_days NOT BETWEEN 1 AND @forward_days
  OR error_rooms IS DISTINCT FROM projected_period_end_rooms - actual_period_end_rooms
  OR error_rate IS DISTINCT FROM projected_occupancy_rate - actual_occupancy_rate;
