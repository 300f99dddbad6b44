/*
  silver.tenant_room_snapshot_daily -- the tenant-room pairs of every daily snapshot (SPEC §4).

  The tenants of the day's snapshot that have both apartment_id and room_id, whatever their
  status (a closed status keeps its room). This is S(D) of the occupancy KPIs.

  kind   INCREMENTAL_BY_TIME_RANGE on snapshot_date, lookback @lookback_days
  grain  (snapshot_date, tenant_id, apartment_id, room_id)
  owner  analytics-engineering
  audits unique grain, grain not null
  source raw.tenants
*/
MODEL (
  name silver.tenant_room_snapshot_daily,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column snapshot_date,
    lookback @lookback_days,
    batch_size @batch_days
  ),
  grain (snapshot_date, tenant_id, apartment_id, room_id),
  owner 'analytics-engineering',
  tags [lake],
  signals [lake_has_snapshot(lake_root := @lake_root)],
  audits (
    unique_grain(partition_by := snapshot_date, columns := (tenant_id, apartment_id, room_id)),
    not_null(columns := (snapshot_date, tenant_id, apartment_id, room_id))
  ),
  description 'Tenants with an assigned apartment and room, per daily snapshot, with their key dates.'
);

WITH tenants_in_interval AS (
  SELECT
    snapshot_date,
    id,
    apartment_id,
    room_id,
    status,
    application_date,
    move_in_date,
    moveout_date,
    moveout_plans_date
  FROM raw.tenants
  WHERE snapshot_date BETWEEN @start_date AND @end_date
),

tenants_with_room AS (
  SELECT *
  FROM tenants_in_interval
  WHERE apartment_id IS NOT NULL AND room_id IS NOT NULL
)

SELECT
  snapshot_date::DATE AS snapshot_date, -- date of the dump the row comes from
  id::BIGINT AS tenant_id, -- tenants.id
  apartment_id::BIGINT AS apartment_id, -- assigned property
  room_id::BIGINT AS room_id, -- assigned room
  status::INTEGER AS management_status_code, -- tenants.status on that day
  application_date::DATE AS application_date, -- date the application was made
  move_in_date::DATE AS move_in_date, -- move-in date
  moveout_date::DATE AS moveout_date, -- contractual / scheduled move-out date
  moveout_plans_date::DATE AS moveout_plans_date -- move-out date declared in the notice
FROM tenants_with_room
