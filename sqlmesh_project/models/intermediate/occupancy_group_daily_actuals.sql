/*
  intermediate.occupancy_group_daily_actuals -- the actual rows of the breakdowns of SPEC §4b:
  one row per snapshot day D and group, where a group is an apartment (group_kind 'apartment',
  group_key = its id) or an area (group_kind 'area', group_key = the area).

  Every rule of intermediate.occupancy_daily_actuals (SPEC §4) applies unchanged within a
  group: the pairs of S(D) and the active rooms of R(D) are first given their groups, then
  counted per group with the same @pairs conditions.
  * apartment groups: the apartment ids found in D's apartments, rooms or pairs; a room
    without apartment_id belongs to no apartment (so the apartments' total_rooms leave it out);
    apartment_name and area come from D's apartments (NULL when the apartment is missing);
  * area groups: the area of the pair's / room's apartment in D's apartments; a missing
    apartment, a NULL or empty area, or a room without apartment_id counts under '(unknown)'.
    So the areas of a day add up to the company-wide row exactly.
  A day without a tenants snapshot has no row.

  kind   INCREMENTAL_BY_TIME_RANGE on snapshot_date, lookback @lookback_days (like the actuals)
  grain  (snapshot_date, group_kind, group_key)
  owner  analytics-engineering
  audits unique grain; on each computed day the groups of each kind add up to
         intermediate.occupancy_daily_actuals (audits/breakdowns.sql)
*/
MODEL (
  name intermediate.occupancy_group_daily_actuals,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column snapshot_date,
    lookback @lookback_days,
    batch_size @batch_days
  ),
  grain (snapshot_date, group_kind, group_key),
  owner 'analytics-engineering',
  tags [lake],
  signals [lake_has_snapshot(lake_root := @lake_root)],
  depends_on [intermediate.occupancy_daily_actuals], -- the add-up audit reads it
  audits (
    unique_grain(partition_by := snapshot_date, columns := (group_kind, group_key)),
    not_null(columns := (snapshot_date, group_kind, group_key)),
    groups_add_up_to_company(company := intermediate.occupancy_daily_actuals, time_column := snapshot_date)
  ),
  description 'Daily occupancy KPIs of each snapshot day per apartment and per area (actuals).'
);

WITH snapshot_days AS (
  SELECT DISTINCT
    snapshot_date
  FROM silver.tenant_daily_snapshots
  WHERE snapshot_date BETWEEN @start_date AND @end_date
),

day_apartments AS (
  SELECT
    snapshot_date,
    id AS apartment_id,
    name AS apartment_name,
    area,
    @area_group(area) AS area_group
  FROM raw.apartments
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

day_rooms AS (
  SELECT
    snapshot_date,
    id,
    apartment_id,
    is_active
  FROM raw.rooms
  WHERE snapshot_date BETWEEN @start_date AND @end_date
),

-- every pair under its apartment and under its area
grouped_pairs AS (
  SELECT 'apartment' AS group_kind, CAST(tenant_rooms.apartment_id AS VARCHAR) AS group_key, tenant_rooms.*
  FROM tenant_rooms
  UNION ALL
  SELECT 'area' AS group_kind, COALESCE(day_apartments.area_group, '(unknown)') AS group_key, tenant_rooms.*
  FROM tenant_rooms
  LEFT JOIN day_apartments
    ON tenant_rooms.snapshot_date = day_apartments.snapshot_date
    AND tenant_rooms.apartment_id = day_apartments.apartment_id
),

-- every room under its apartment (none without apartment_id) and under its area
grouped_rooms AS (
  SELECT 'apartment' AS group_kind, CAST(apartment_id AS VARCHAR) AS group_key, snapshot_date, id, is_active
  FROM day_rooms
  WHERE apartment_id IS NOT NULL
  UNION ALL
  SELECT 'area' AS group_kind, COALESCE(day_apartments.area_group, '(unknown)') AS group_key,
    day_rooms.snapshot_date, day_rooms.id, day_rooms.is_active
  FROM day_rooms
  LEFT JOIN day_apartments
    ON day_rooms.snapshot_date = day_apartments.snapshot_date
    AND day_rooms.apartment_id = day_apartments.apartment_id
),

-- the groups of a day: those of its apartments, rooms and pairs
day_groups AS (
  SELECT snapshot_date, 'apartment' AS group_kind, CAST(apartment_id AS VARCHAR) AS group_key FROM day_apartments
  UNION
  SELECT snapshot_date, 'area' AS group_kind, COALESCE(area_group, '(unknown)') AS group_key FROM day_apartments
  UNION
  SELECT snapshot_date, group_kind, group_key FROM grouped_rooms
  UNION
  SELECT snapshot_date, group_kind, group_key FROM grouped_pairs
),

pair_counts AS (
  SELECT
    snapshot_date,
    group_kind,
    group_key,
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
  FROM grouped_pairs
  GROUP BY snapshot_date, group_kind, group_key
),

active_rooms AS (
  SELECT
    snapshot_date,
    group_kind,
    group_key,
    CAST(COUNT(DISTINCT id) FILTER (WHERE is_active = 1) AS INTEGER) AS total_rooms
  FROM grouped_rooms
  GROUP BY snapshot_date, group_kind, group_key
),

group_counts AS (
  SELECT
    day_groups.snapshot_date,
    day_groups.group_kind,
    day_groups.group_key,
    COALESCE(pair_counts.applications, 0) AS applications,
    COALESCE(pair_counts.new_moveins, 0) AS new_moveins,
    COALESCE(pair_counts.new_moveouts, 0) AS new_moveouts,
    COALESCE(pair_counts.period_start_rooms, 0) AS period_start_rooms,
    COALESCE(active_rooms.total_rooms, 0) AS total_rooms
  FROM day_groups
  JOIN snapshot_days
    ON day_groups.snapshot_date = snapshot_days.snapshot_date
  LEFT JOIN pair_counts
    ON day_groups.snapshot_date = pair_counts.snapshot_date
    AND day_groups.group_kind = pair_counts.group_kind
    AND day_groups.group_key = pair_counts.group_key
  LEFT JOIN active_rooms
    ON day_groups.snapshot_date = active_rooms.snapshot_date
    AND day_groups.group_kind = active_rooms.group_kind
    AND day_groups.group_key = active_rooms.group_key
),

group_metrics AS (
  SELECT
    group_counts.*,
    CASE WHEN group_kind = 'apartment' THEN CAST(group_key AS BIGINT) END AS apartment_id,
    new_moveins - new_moveouts AS occupancy_delta,
    period_start_rooms + new_moveins - new_moveouts AS period_end_rooms
  FROM group_counts
)

SELECT
  group_metrics.snapshot_date::DATE AS snapshot_date, -- the snapshot day D
  group_metrics.group_kind::VARCHAR AS group_kind, -- 'apartment' or 'area'
  group_metrics.group_key::VARCHAR AS group_key, -- the apartment id (as text) or the area
  group_metrics.apartment_id::BIGINT AS apartment_id, -- apartment groups only
  day_apartments.apartment_name::VARCHAR AS apartment_name, -- from D's apartments (NULL when missing)
  CASE
    WHEN group_metrics.group_kind = 'area' THEN group_metrics.group_key
    ELSE day_apartments.area
  END::VARCHAR AS area, -- the area group, or the apartment's area as in D's apartments
  group_metrics.applications::INTEGER AS applications, -- pairs applied on D
  group_metrics.new_moveins::INTEGER AS new_moveins, -- occupied pairs moving in on D
  group_metrics.new_moveouts::INTEGER AS new_moveouts, -- pairs whose declared move-out is D
  group_metrics.occupancy_delta::INTEGER AS occupancy_delta, -- new_moveins - new_moveouts
  group_metrics.period_start_rooms::INTEGER AS period_start_rooms, -- occupied pairs at the start of D
  group_metrics.period_end_rooms::INTEGER AS period_end_rooms, -- period_start_rooms + occupancy_delta
  group_metrics.total_rooms::INTEGER AS total_rooms, -- active rooms of R(D) in the group
  @occupancy_rate(group_metrics.period_end_rooms, group_metrics.total_rooms) AS occupancy_rate, -- 4 decimals half-up; NULL without rooms
  FALSE AS is_projection, -- actual row
  group_metrics.snapshot_date::DATE AS as_of_snapshot_date, -- D
  CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP) AS updated_at -- when the row was computed (UTC)
FROM group_metrics
LEFT JOIN day_apartments -- apartment groups only (the others have no apartment_id)
  ON group_metrics.snapshot_date = day_apartments.snapshot_date
  AND group_metrics.apartment_id = day_apartments.apartment_id
