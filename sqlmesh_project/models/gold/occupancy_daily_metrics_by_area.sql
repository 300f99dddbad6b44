/*
  gold.occupancy_daily_metrics_by_area -- gold.occupancy_daily_metrics (SPEC §4) per area (grain snapshot_date, area): apartments grouped by their area in the day's
  apartments (T's for projections); a pair or room whose apartment is missing from it, whose
  area is NULL or empty, or a room without apartment counts under '(unknown)'.
  Every §4 rule applies within the group (intermediate.occupancy_group_daily_actuals and
  intermediate.occupancy_group_daily_projection); projections chain per group from its actual
  row of T, the latest snapshot day.

  kind   VIEW (the group's actuals and its projection as of T)
  grain  (snapshot_date, area)
  owner  analytics-engineering
  audits on the rows' models: their grains, and the groups adding up to the company-wide rows
         on every date (a view of their rows is audited where they are computed, once)
*/
MODEL (
  name gold.occupancy_daily_metrics_by_area,
  kind VIEW,
  grain (snapshot_date, area),
  owner 'analytics-engineering',
  description 'Daily occupancy KPIs per area with a projection of the next forward_days days (QuickSight).'
);

WITH latest_snapshot AS (
  SELECT
    MAX(snapshot_date) AS as_of_snapshot_date
  FROM intermediate.occupancy_daily_actuals
),

-- the group's actual rows, then its projection as of T (the same column list on both sides)
actuals_and_projections AS (
  SELECT snapshot_date, area, @kpi_columns()
  FROM intermediate.occupancy_group_daily_actuals
  WHERE group_kind = 'area'
  UNION ALL
  SELECT snapshot_date, area, @kpi_columns()
  FROM intermediate.occupancy_group_daily_projection
  WHERE group_kind = 'area'
    AND as_of_snapshot_date = (SELECT as_of_snapshot_date FROM latest_snapshot)
)

SELECT
  snapshot_date::DATE AS snapshot_date, -- metric date (actual snapshot day or projected day)
  area::VARCHAR AS area, -- the area of the day's apartments (T's when projected); '(unknown)' for the rest
  applications::INTEGER AS applications, -- applications made that day (0 when projected)
  new_moveins::INTEGER AS new_moveins, -- pairs moving in that day
  new_moveouts::INTEGER AS new_moveouts, -- pairs moving out that day
  occupancy_delta::INTEGER AS occupancy_delta, -- new_moveins - new_moveouts
  period_start_rooms::INTEGER AS period_start_rooms, -- occupied pairs at the start of the day
  period_end_rooms::INTEGER AS period_end_rooms, -- period_start_rooms + occupancy_delta
  total_rooms::INTEGER AS total_rooms, -- active rooms of the group
  occupancy_rate::DECIMAL(5, 4) AS occupancy_rate, -- period_end_rooms / total_rooms (NULL when 0 rooms)
  is_projection::BOOLEAN AS is_projection, -- true for the days after the latest snapshot
  as_of_snapshot_date::DATE AS as_of_snapshot_date, -- the snapshot the row is computed from
  updated_at::TIMESTAMP AS updated_at -- when the row was computed (UTC)
FROM actuals_and_projections
