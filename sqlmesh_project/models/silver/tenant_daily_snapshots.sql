/*
  silver.tenant_daily_snapshots -- every tenant of every daily snapshot (SPEC §4).

  kind   INCREMENTAL_BY_TIME_RANGE on snapshot_date, lookback @lookback_days snapshot days:
         a daily run reads only the new lake partitions plus the lookback
  grain  (snapshot_date, tenant_id)
  owner  analytics-engineering
  audits unique grain, grain not null
  source raw.tenants (the lake's tenants partitions, via the view of macros/lake.py)
*/
MODEL (
  name silver.tenant_daily_snapshots,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column snapshot_date,
    lookback @lookback_days,
    batch_size @batch_days
  ),
  grain (snapshot_date, tenant_id),
  owner 'analytics-engineering',
  tags [lake],
  signals [lake_has_snapshot(lake_root := @lake_root)],
  audits (
    unique_grain(partition_by := snapshot_date, columns := (tenant_id)),
    not_null(columns := (snapshot_date, tenant_id))
  ),
  description 'One row per tenant per daily snapshot: status, contract and payment codes, name.'
);

WITH tenants_in_interval AS (
  SELECT
    snapshot_date,
    id,
    status,
    contract_type,
    payment_status,
    full_name
  FROM raw.tenants
  WHERE snapshot_date BETWEEN @start_date AND @end_date
)

SELECT
  snapshot_date::DATE AS snapshot_date, -- date of the dump the row comes from
  id::BIGINT AS tenant_id, -- tenants.id
  status::INTEGER AS status, -- management status code (reference.status_codes)
  contract_type::INTEGER AS contract_type, -- contract type code
  payment_status::INTEGER AS payment_status, -- payment status code, NULL when unknown
  full_name::VARCHAR AS full_name -- tenant's name (personal data)
FROM tenants_in_interval
