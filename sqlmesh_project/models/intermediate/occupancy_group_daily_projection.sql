/*
  intermediate.occupancy_group_daily_projection -- for every group (apartment or area) of the
  actual rows of T, the latest snapshot day, the projection made from it: D = T+1 ..
  T+@forward_days, from S(T) and R(T) only (SPEC §4b).

  The rules of intermediate.occupancy_daily_projection (SPEC §4), within a group: the pairs of
  S(T) get their group from T's apartments exactly as in intermediate.occupancy_group_daily_actuals
  ('(unknown)' area for a missing apartment or an empty area), and each group's chain starts at
  its own actual period_end_rooms(T); total_rooms = the group's total_rooms(T).

  kind   FULL, of T only: it reads one snapshot day (S(T), R(T), T's group rows), so a rebuild
         costs the same at any history length; unlike the company-wide projection, older
         as-of days are not kept (the accuracy table measures the company-wide projection)
  grain  (group_kind, group_key, snapshot_date)
  owner  analytics-engineering
  audits unique grain; on every projected date the groups of each kind add up to the
         company-wide projection of T (audits/breakdowns.sql)
*/
MODEL (
  name intermediate.occupancy_group_daily_projection,
  kind FULL,
  grain (group_kind, group_key, snapshot_date),
  owner 'analytics-engineering',
  signals [lake_has_snapshot(lake_root := @lake_root)],
  depends_on [intermediate.occupancy_daily_projection], -- the add-up audit reads it
  audits (
    unique_combination_of_columns(columns := (group_kind, group_key, snapshot_date)),
    not_null(columns := (as_of_snapshot_date, group_kind, group_key, snapshot_date)),
    groups_add_up_to_company(company := intermediate.occupancy_daily_projection, time_column := as_of_snapshot_date)
  ),
  description 'Projected daily occupancy per apartment and per area for the forward_days days after each snapshot day.'
);

WITH latest_snapshot AS (
  SELECT
    MAX(snapshot_date) AS as_of_snapshot_date
  FROM intermediate.occupancy_daily_actuals
),

as_of_groups AS (
  SELECT
    snapshot_date AS as_of_snapshot_date,
    group_kind,
    group_key,
    apartment_id,
    apartment_name,
    area,
    period_end_rooms,
    total_rooms
  FROM intermediate.occupancy_group_daily_actuals
  WHERE snapshot_date = (SELECT as_of_snapshot_date FROM latest_snapshot)
),

-- the horizon: 1 .. forward_days days after T
horizon AS (
  SELECT
    UNNEST(GENERATE_SERIES(1, @forward_days)) AS horizon_days
),

projection_days AS (
  SELECT
    as_of_groups.as_of_snapshot_date,
    as_of_groups.group_kind,
    as_of_groups.group_key,
    CAST(as_of_groups.as_of_snapshot_date + CAST(horizon.horizon_days AS INTEGER) AS DATE) AS snapshot_date
  FROM as_of_groups
  CROSS JOIN horizon
),

as_of_apartments AS (
  SELECT
    snapshot_date AS as_of_snapshot_date,
    id AS apartment_id,
    @area_group(area) AS area
  FROM raw.apartments
  WHERE snapshot_date = (SELECT as_of_snapshot_date FROM latest_snapshot)
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
  WHERE snapshot_date = (SELECT as_of_snapshot_date FROM latest_snapshot)
),

-- every pair of S(T) under its apartment and under its area of T
grouped_pairs AS (
  SELECT 'apartment' AS group_kind, CAST(as_of_tenant_rooms.apartment_id AS VARCHAR) AS group_key, as_of_tenant_rooms.*
  FROM as_of_tenant_rooms
  UNION ALL
  SELECT 'area' AS group_kind, COALESCE(as_of_apartments.area, '(unknown)') AS group_key, as_of_tenant_rooms.*
  FROM as_of_tenant_rooms
  LEFT JOIN as_of_apartments
    ON as_of_tenant_rooms.as_of_snapshot_date = as_of_apartments.as_of_snapshot_date
    AND as_of_tenant_rooms.apartment_id = as_of_apartments.apartment_id
),

scheduled_moveins AS (
  SELECT
    as_of_snapshot_date,
    group_kind,
    group_key,
    move_in_date AS snapshot_date,
    @pairs(management_status_code IN @scheduled_status_codes) AS new_moveins
  FROM grouped_pairs
  WHERE move_in_date > as_of_snapshot_date
  GROUP BY as_of_snapshot_date, group_kind, group_key, move_in_date
),

scheduled_moveouts AS (
  SELECT
    as_of_snapshot_date,
    group_kind,
    group_key,
    moveout_date AS snapshot_date,
    @pairs(management_status_code IN @occupied_status_codes) AS new_moveouts
  FROM grouped_pairs
  WHERE moveout_date > as_of_snapshot_date
  GROUP BY as_of_snapshot_date, group_kind, group_key, moveout_date
),

daily_deltas AS (
  SELECT
    projection_days.as_of_snapshot_date,
    projection_days.group_kind,
    projection_days.group_key,
    projection_days.snapshot_date,
    COALESCE(scheduled_moveins.new_moveins, 0) AS new_moveins,
    COALESCE(scheduled_moveouts.new_moveouts, 0) AS new_moveouts,
    COALESCE(scheduled_moveins.new_moveins, 0)
      - COALESCE(scheduled_moveouts.new_moveouts, 0) AS occupancy_delta
  FROM projection_days
  LEFT JOIN scheduled_moveins
    ON projection_days.as_of_snapshot_date = scheduled_moveins.as_of_snapshot_date
    AND projection_days.group_kind = scheduled_moveins.group_kind
    AND projection_days.group_key = scheduled_moveins.group_key
    AND projection_days.snapshot_date = scheduled_moveins.snapshot_date
  LEFT JOIN scheduled_moveouts
    ON projection_days.as_of_snapshot_date = scheduled_moveouts.as_of_snapshot_date
    AND projection_days.group_kind = scheduled_moveouts.group_kind
    AND projection_days.group_key = scheduled_moveouts.group_key
    AND projection_days.snapshot_date = scheduled_moveouts.snapshot_date
),

chained AS (
  SELECT
    daily_deltas.*,
    as_of_groups.apartment_id,
    as_of_groups.apartment_name,
    as_of_groups.area,
    as_of_groups.period_end_rooms
      + SUM(daily_deltas.occupancy_delta) OVER (
        PARTITION BY daily_deltas.as_of_snapshot_date, daily_deltas.group_kind, daily_deltas.group_key
        ORDER BY daily_deltas.snapshot_date
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS period_end_rooms,
    as_of_groups.total_rooms
  FROM daily_deltas
  JOIN as_of_groups
    ON daily_deltas.as_of_snapshot_date = as_of_groups.as_of_snapshot_date
    AND daily_deltas.group_kind = as_of_groups.group_kind
    AND daily_deltas.group_key = as_of_groups.group_key
)

SELECT
  snapshot_date::DATE AS snapshot_date, -- the projected day D (T+1 .. T+forward_days)
  group_kind::VARCHAR AS group_kind, -- 'apartment' or 'area'
  group_key::VARCHAR AS group_key, -- the apartment id (as text) or the area
  apartment_id::BIGINT AS apartment_id, -- apartment groups only
  apartment_name::VARCHAR AS apartment_name, -- from T's apartments
  area::VARCHAR AS area, -- from T's apartments
  0::INTEGER AS applications, -- applications cannot be predicted
  new_moveins::INTEGER AS new_moveins, -- scheduled pairs of S(T) in the group moving in on D
  new_moveouts::INTEGER AS new_moveouts, -- occupied pairs of S(T) in the group whose moveout_date is D
  occupancy_delta::INTEGER AS occupancy_delta, -- new_moveins - new_moveouts
  (period_end_rooms - occupancy_delta)::INTEGER AS period_start_rooms, -- period_end_rooms of D-1
  period_end_rooms::INTEGER AS period_end_rooms, -- period_start_rooms + occupancy_delta
  total_rooms::INTEGER AS total_rooms, -- the group's total_rooms(T)
  @occupancy_rate(period_end_rooms, total_rooms) AS occupancy_rate, -- 4 decimals half-up; NULL without rooms
  TRUE AS is_projection, -- projected row
  as_of_snapshot_date::DATE AS as_of_snapshot_date, -- T
  CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP) AS updated_at -- when the row was computed (UTC)
FROM chained
