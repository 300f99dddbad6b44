/*
  intermediate.occupancy_daily_actuals -- the actual rows of gold.occupancy_daily_metrics:
  one row per snapshot day D, computed from that day's snapshots only (SPEC §4).

  S(D) = silver.tenant_room_snapshot_daily of D, R(D) = the lake's rooms partition of D.
  * applications       = pairs with application_date = D
  * new_moveins        = pairs with status in @occupied_status_codes and move_in_date = D
  * new_moveouts       = pairs with moveout_plans_date = D (any status)
  * period_start_rooms = pairs with status in @occupied_status_codes, move_in_date < D and
                         (moveout_plans_date NULL or >= D)
  * total_rooms        = rooms of R(D) with is_active = 1 (0 when R(D) is missing)
  A NULL date never matches. Actual rows are not chained: period_start_rooms(D) comes from
  S(D) alone. A day without a tenants snapshot has no row.

  kind   INCREMENTAL_BY_TIME_RANGE on snapshot_date, lookback @lookback_days: a daily run
         recomputes the last lookback days plus the new ones, never all of history
  grain  snapshot_date
  owner  analytics-engineering
  audits (on gold.occupancy_daily_metrics, which unions these rows with the projection)
*/
MODEL (
  name intermediate.occupancy_daily_actuals,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column snapshot_date,
    lookback @lookback_days,
    batch_size @batch_days
  ),
  grain snapshot_date,
  owner 'analytics-engineering',
  tags [lake],
  signals [lake_has_snapshot(lake_root := @lake_root)],
  audits (
    unique_values(columns := (snapshot_date))
  ),
  description 'Daily occupancy KPIs of each snapshot day (actuals), before the projection is added.'
);

WITH snapshot_days AS (
  SELECT DISTINCT
    snapshot_date
  FROM silver.tenant_daily_snapshots
  WHERE snapshot_date BETWEEN @start_date AND @end_date
),

tenant_rooms AS (
  SELECT
    snapshot_date,
    tenant_id,
    apartment_id,
    room_id,
    management_status_code,
    application_date,
    move_in_date,
    moveout_plans_date
  FROM silver.tenant_room_snapshot_daily
  WHERE snapshot_date BETWEEN @start_date AND @end_date
),

pair_counts AS (
  SELECT
    snapshot_date,
    @pairs(application_date = snapshot_date) AS applications,
    @pairs(
      management_status_code IN @occupied_status_codes
      AND move_in_date = snapshot_date
    ) AS new_moveins,
    @pairs(moveout_plans_date = snapshot_date) AS new_moveouts,
    @pairs(
      management_status_code IN @occupied_status_codes
      AND move_in_date < snapshot_date
      AND (moveout_plans_date IS NULL OR moveout_plans_date >= snapshot_date)
    ) AS period_start_rooms
  FROM tenant_rooms
  GROUP BY snapshot_date
),

active_rooms AS (
  SELECT
    snapshot_date,
    CAST(COUNT(DISTINCT id) FILTER (WHERE is_active = 1) AS INTEGER) AS total_rooms
  FROM raw.rooms
  WHERE snapshot_date BETWEEN @start_date AND @end_date
  GROUP BY snapshot_date
),

daily_counts AS (
  SELECT
    snapshot_days.snapshot_date,
    COALESCE(pair_counts.applications, 0) AS applications,
    COALESCE(pair_counts.new_moveins, 0) AS new_moveins,
    COALESCE(pair_counts.new_moveouts, 0) AS new_moveouts,
    COALESCE(pair_counts.period_start_rooms, 0) AS period_start_rooms,
    COALESCE(active_rooms.total_rooms, 0) AS total_rooms
  FROM snapshot_days
  LEFT JOIN pair_counts
    ON snapshot_days.snapshot_date = pair_counts.snapshot_date
  LEFT JOIN active_rooms
    ON snapshot_days.snapshot_date = active_rooms.snapshot_date
),

daily_metrics AS (
  SELECT
    daily_counts.*,
    new_moveins - new_moveouts AS occupancy_delta,
    period_start_rooms + new_moveins - new_moveouts AS period_end_rooms
  FROM daily_counts
)

SELECT
  snapshot_date::DATE AS snapshot_date, -- the snapshot day D
  applications::INTEGER AS applications, -- pairs applied on D
  new_moveins::INTEGER AS new_moveins, -- occupied pairs moving in on D
  new_moveouts::INTEGER AS new_moveouts, -- pairs whose declared move-out is D
  occupancy_delta::INTEGER AS occupancy_delta, -- new_moveins - new_moveouts
  period_start_rooms::INTEGER AS period_start_rooms, -- occupied pairs at the start of D
  period_end_rooms::INTEGER AS period_end_rooms, -- period_start_rooms + occupancy_delta
  total_rooms::INTEGER AS total_rooms, -- active rooms of R(D)
  @occupancy_rate(period_end_rooms, total_rooms) AS occupancy_rate, -- period_end_rooms / total_rooms, 4 decimals half-up; NULL without rooms
  FALSE AS is_projection, -- actual row
  snapshot_date::DATE AS as_of_snapshot_date, -- D: an actual is as of its own snapshot
  CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP) AS updated_at -- when the row was computed (UTC)
FROM daily_metrics
