/*
  intermediate.occupancy_daily_projection -- for every snapshot day T, the projection made
  from it: D = T+1 .. T+@forward_days, from S(T) and R(T) only (SPEC §4).
  gold.occupancy_daily_metrics shows the projection as of the latest snapshot day; the older
  ones stay here as a history of forecasts.

  * applications       = 0 (cannot be predicted)
  * new_moveins        = pairs of S(T) with status in @scheduled_status_codes, move_in_date = D
  * new_moveouts       = pairs of S(T) with status in @occupied_status_codes, moveout_date = D
                         (a tenant who has already left cannot leave again)
  * period_start_rooms = period_end_rooms(D-1); for T+1 the actual period_end_rooms(T)
  * period_end_rooms   = period_start_rooms + occupancy_delta
  * total_rooms        = total_rooms(T) (of the actual row of T, i.e. from R(T))

  kind   INCREMENTAL_BY_TIME_RANGE on as_of_snapshot_date (= T), lookback @lookback_days: a
         day's projection is computed in the same interval as its actual row, so it is never
         older than the actuals, and a restated day gets its projection restated too
  grain  (as_of_snapshot_date, snapshot_date)
  owner  analytics-engineering
  audits unique grain (and on gold.occupancy_daily_metrics: horizon exactly @forward_days
         days after the last actual, chained from it)
*/
MODEL (
  name intermediate.occupancy_daily_projection,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column as_of_snapshot_date,
    lookback @lookback_days,
    batch_size @batch_days
  ),
  grain (as_of_snapshot_date, snapshot_date),
  owner 'analytics-engineering',
  signals [lake_has_snapshot(lake_root := @lake_root)],
  audits (
    unique_grain(partition_by := as_of_snapshot_date, columns := (snapshot_date)),
    not_null(columns := (as_of_snapshot_date, snapshot_date))
  ),
  description 'Projected daily occupancy for the forward_days days after each snapshot day.'
);

WITH as_of_days AS (
  SELECT
    snapshot_date AS as_of_snapshot_date,
    period_end_rooms,
    total_rooms
  FROM intermediate.occupancy_daily_actuals
  WHERE snapshot_date BETWEEN @start_date AND @end_date
),

-- the horizon: 1 .. forward_days days after T
horizon AS (
  SELECT
    UNNEST(GENERATE_SERIES(1, @forward_days)) AS horizon_days
),

projection_days AS (
  SELECT
    as_of_days.as_of_snapshot_date,
    CAST(as_of_days.as_of_snapshot_date + CAST(horizon.horizon_days AS INTEGER) AS DATE) AS snapshot_date
  FROM as_of_days
  CROSS JOIN horizon
),

as_of_tenant_rooms AS (
  SELECT
    snapshot_date AS as_of_snapshot_date,
    tenant_id,
    apartment_id,
    room_id,
    management_status_code,
    move_in_date,
    moveout_date
  FROM silver.tenant_room_snapshot_daily
  WHERE snapshot_date BETWEEN @start_date AND @end_date
),

scheduled_moveins AS (
  SELECT
    as_of_snapshot_date,
    move_in_date AS snapshot_date,
    @pairs(management_status_code IN @scheduled_status_codes) AS new_moveins
  FROM as_of_tenant_rooms
  WHERE move_in_date > as_of_snapshot_date
  GROUP BY as_of_snapshot_date, move_in_date
),

scheduled_moveouts AS (
  SELECT
    as_of_snapshot_date,
    moveout_date AS snapshot_date,
    @pairs(management_status_code IN @occupied_status_codes) AS new_moveouts
  FROM as_of_tenant_rooms
  WHERE moveout_date > as_of_snapshot_date
  GROUP BY as_of_snapshot_date, moveout_date
),

daily_deltas AS (
  SELECT
    projection_days.as_of_snapshot_date,
    projection_days.snapshot_date,
    COALESCE(scheduled_moveins.new_moveins, 0) AS new_moveins,
    COALESCE(scheduled_moveouts.new_moveouts, 0) AS new_moveouts,
    COALESCE(scheduled_moveins.new_moveins, 0)
      - COALESCE(scheduled_moveouts.new_moveouts, 0) AS occupancy_delta
  FROM projection_days
  LEFT JOIN scheduled_moveins
    ON projection_days.as_of_snapshot_date = scheduled_moveins.as_of_snapshot_date
    AND projection_days.snapshot_date = scheduled_moveins.snapshot_date
  LEFT JOIN scheduled_moveouts
    ON projection_days.as_of_snapshot_date = scheduled_moveouts.as_of_snapshot_date
    AND projection_days.snapshot_date = scheduled_moveouts.snapshot_date
),

chained AS (
  SELECT
    daily_deltas.*,
    as_of_days.period_end_rooms
      + SUM(daily_deltas.occupancy_delta) OVER (
        PARTITION BY daily_deltas.as_of_snapshot_date
        ORDER BY daily_deltas.snapshot_date
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS period_end_rooms,
    as_of_days.total_rooms
  FROM daily_deltas
  JOIN as_of_days
    ON daily_deltas.as_of_snapshot_date = as_of_days.as_of_snapshot_date
)

SELECT
  snapshot_date::DATE AS snapshot_date, -- the projected day D (T+1 .. T+forward_days)
  0::INTEGER AS applications, -- applications cannot be predicted
  new_moveins::INTEGER AS new_moveins, -- scheduled pairs of S(T) moving in on D
  new_moveouts::INTEGER AS new_moveouts, -- occupied pairs of S(T) whose moveout_date is D
  occupancy_delta::INTEGER AS occupancy_delta, -- new_moveins - new_moveouts
  (period_end_rooms - occupancy_delta)::INTEGER AS period_start_rooms, -- period_end_rooms of D-1
  period_end_rooms::INTEGER AS period_end_rooms, -- period_start_rooms + occupancy_delta
  total_rooms::INTEGER AS total_rooms, -- total_rooms(T)
  @occupancy_rate(period_end_rooms, total_rooms) AS occupancy_rate, -- period_end_rooms / total_rooms, 4 decimals half-up; NULL without rooms
  TRUE AS is_projection, -- projected row
  as_of_snapshot_date::DATE AS as_of_snapshot_date, -- T, the snapshot the projection is made from
  CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP) AS updated_at -- when the row was computed (UTC)
FROM chained
