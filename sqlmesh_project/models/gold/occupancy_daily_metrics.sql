/*
  gold.occupancy_daily_metrics -- daily occupancy KPIs: one row per snapshot day up to the
  latest snapshot T (actuals), then one per day T+1 .. T+@forward_days (projection).
  See intermediate.occupancy_daily_actuals and intermediate.occupancy_daily_projection for
  each rule of SPEC §4. A day without a snapshot has no actual row, and a projected day is
  replaced by its actual row once its snapshot arrives (projection dates are > T).

  kind   VIEW (a union of the incremental actuals and the projection as of T)
  grain  snapshot_date
  owner  analytics-engineering
  audits unique grain; occupancy_delta = new_moveins - new_moveouts;
         period_end_rooms = period_start_rooms + occupancy_delta; occupancy_rate in [0, 1]
         where defined and NULL exactly when total_rooms = 0; projections exactly
         @forward_days consecutive days after the last actual, chained from it
*/
MODEL (
  name gold.occupancy_daily_metrics,
  kind VIEW,
  grain snapshot_date,
  owner 'analytics-engineering',
  audits (
    unique_values(columns := (snapshot_date)),
    not_null(columns := (snapshot_date, is_projection, as_of_snapshot_date)),
    metrics_delta_is_moveins_minus_moveouts,
    metrics_period_end_is_start_plus_delta,
    metrics_rate_within_unit_range,
    metrics_projection_horizon_and_chain
  ),
  description 'Daily occupancy KPIs with a projection of the next forward_days days (QuickSight).'
);

WITH actuals AS (
  SELECT
    snapshot_date,
    applications,
    new_moveins,
    new_moveouts,
    occupancy_delta,
    period_start_rooms,
    period_end_rooms,
    total_rooms,
    occupancy_rate,
    is_projection,
    as_of_snapshot_date,
    updated_at
  FROM intermediate.occupancy_daily_actuals
),

latest_snapshot AS (
  SELECT
    MAX(snapshot_date) AS as_of_snapshot_date
  FROM actuals
),

-- the projection made from the latest snapshot day T (older forecasts stay in the
-- intermediate model)
projections AS (
  SELECT
    snapshot_date,
    applications,
    new_moveins,
    new_moveouts,
    occupancy_delta,
    period_start_rooms,
    period_end_rooms,
    total_rooms,
    occupancy_rate,
    is_projection,
    as_of_snapshot_date,
    updated_at
  FROM intermediate.occupancy_daily_projection
  WHERE as_of_snapshot_date = (SELECT as_of_snapshot_date FROM latest_snapshot)
),

actuals_and_projections AS (
  SELECT * FROM actuals
  UNION ALL
  SELECT * FROM projections
)

SELECT
  snapshot_date::DATE AS snapshot_date, -- metric date (actual snapshot day or projected day)
  applications::INTEGER AS applications, -- applications made that day (0 when projected)
  new_moveins::INTEGER AS new_moveins, -- pairs moving in that day
  new_moveouts::INTEGER AS new_moveouts, -- pairs moving out that day
  occupancy_delta::INTEGER AS occupancy_delta, -- new_moveins - new_moveouts
  period_start_rooms::INTEGER AS period_start_rooms, -- occupied pairs at the start of the day
  period_end_rooms::INTEGER AS period_end_rooms, -- period_start_rooms + occupancy_delta
  total_rooms::INTEGER AS total_rooms, -- active rooms
  occupancy_rate::DECIMAL(5, 4) AS occupancy_rate, -- period_end_rooms / total_rooms (NULL when 0 rooms)
  is_projection::BOOLEAN AS is_projection, -- true for the days after the latest snapshot
  as_of_snapshot_date::DATE AS as_of_snapshot_date, -- the snapshot the row is computed from
  updated_at::TIMESTAMP AS updated_at -- when the row was computed (UTC)
FROM actuals_and_projections
