/*
  gold.occupancy_projection_accuracy -- how far the 90-day projection can be trusted (SPEC §4b):
  one row per snapshot day T' and projected date D = T' + h (1 <= h <= @forward_days) that now
  has an actual row, comparing the projection made from T' with the actual of D.

  * projected_* from intermediate.occupancy_daily_projection (every T' keeps its projection);
    actual_* from intermediate.occupancy_daily_actuals; a gap day D has no actual, so no row;
  * error_rooms = projected - actual period_end_rooms; error_rate = projected - actual rate
    (NULL when either is NULL).

  kind   INCREMENTAL_BY_TIME_RANGE on snapshot_date (D), lookback @forward_days: a new day adds
         the rows whose D is that day; a restated D recomputes its rows, and a restated T'
         recomputes D = T' .. T'+@forward_days (pipeline/models/child.py restates that range of
         this model after every lake restatement, see docs/MODELS.md)
  grain  (as_of_snapshot_date, snapshot_date)
  owner  analytics-engineering
  audits unique grain; horizon within 1 .. @forward_days; errors = projected - actual
*/
MODEL (
  name gold.occupancy_projection_accuracy,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column snapshot_date,
    lookback @forward_days,
    batch_size @batch_days
  ),
  grain (as_of_snapshot_date, snapshot_date),
  owner 'analytics-engineering',
  signals [lake_has_snapshot(lake_root := @lake_root)],
  audits (
    unique_grain(partition_by := snapshot_date, columns := (as_of_snapshot_date)),
    not_null(columns := (as_of_snapshot_date, snapshot_date, horizon_days)),
    accuracy_errors_are_projected_minus_actual
  ),
  description 'Projection accuracy: each snapshot day''s projection against the actuals that arrived since.'
);

WITH actuals AS (
  SELECT
    snapshot_date,
    period_end_rooms,
    occupancy_rate
  FROM intermediate.occupancy_daily_actuals
  WHERE snapshot_date BETWEEN @start_date AND @end_date
),

projections AS (
  SELECT
    as_of_snapshot_date,
    snapshot_date,
    period_end_rooms,
    occupancy_rate
  FROM intermediate.occupancy_daily_projection
  WHERE snapshot_date BETWEEN @start_date AND @end_date
    AND DATE_DIFF('day', as_of_snapshot_date, snapshot_date) BETWEEN 1 AND @forward_days
),

projected_against_actual AS (
  SELECT
    projections.as_of_snapshot_date,
    projections.snapshot_date,
    projections.period_end_rooms AS projected_period_end_rooms,
    actuals.period_end_rooms AS actual_period_end_rooms,
    projections.occupancy_rate AS projected_occupancy_rate,
    actuals.occupancy_rate AS actual_occupancy_rate
  FROM projections
  JOIN actuals
    ON projections.snapshot_date = actuals.snapshot_date
)

SELECT
  as_of_snapshot_date::DATE AS as_of_snapshot_date, -- T', the snapshot the projection was made from
  snapshot_date::DATE AS snapshot_date, -- D, the projected date that now has an actual row
  DATE_DIFF('day', as_of_snapshot_date, snapshot_date)::INTEGER AS horizon_days, -- h = D - T' (1 .. forward_days)
  projected_period_end_rooms::INTEGER AS projected_period_end_rooms, -- period_end_rooms projected from T'
  actual_period_end_rooms::INTEGER AS actual_period_end_rooms, -- period_end_rooms of D's actual row
  (projected_period_end_rooms - actual_period_end_rooms)::INTEGER AS error_rooms, -- projected - actual
  projected_occupancy_rate::DECIMAL(5, 4) AS projected_occupancy_rate, -- rate projected from T'
  actual_occupancy_rate::DECIMAL(5, 4) AS actual_occupancy_rate, -- rate of D's actual row
  (projected_occupancy_rate - actual_occupancy_rate)::DECIMAL(5, 4) AS error_rate, -- projected - actual; NULL when either is NULL
  CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP) AS updated_at -- when the row was computed (UTC)
FROM projected_against_actual
