/*
  silver.tenant_status_history -- SCD type 2 status history of every tenant (SPEC §4).

  A deterministic full rebuild on every run (kind FULL, not an SCD2 kind: those drop history
  when the model changes). It reads silver.tenant_daily_snapshots, the exact copy of the
  lake's tenants partitions (snapshot_date, id, status, contract_type, payment_status) from
  models.start on, so wiping the warehouse or Aurora loses nothing: a plan rebuilds both from
  the lake. (Scanning that native DuckDB table costs a fifth of decoding the Parquet lake,
  which keeps the daily rebuild cheap however long the history: docs/benchmarks/models.md.)

  * A version starts at the tenant's first snapshot and at every snapshot whose status
    differs from the tenant's previous snapshot (A -> B -> A gives three versions).
    Missing snapshot days (no dump, or the tenant absent for a while) neither split nor
    close a version.
  * valid_to = the day before the next version's valid_from; for the last version NULL
    (is_current) when the tenant is in the latest snapshot, else the last date it appeared
    (it vanished from the source).
  * days_in_status = valid_to - valid_from + 1, or latest_snapshot - valid_from + 1 when
    current. contract_type / payment_status are their values at valid_from.

  kind   FULL
  grain  (tenant_id, valid_from)
  owner  analytics-engineering
  audits unique grain; versions contiguous (no overlap, no hole, numbered 1..n);
         exactly one current version per tenant of the latest snapshot, none for others;
         days_in_status positive
  source silver.tenant_daily_snapshots (every snapshot day)
*/
MODEL (
  name silver.tenant_status_history,
  kind FULL,
  grain (tenant_id, valid_from),
  owner 'analytics-engineering',
  signals [lake_has_snapshot(lake_root := @lake_root)],
  audits (
    unique_combination_of_columns(columns := (tenant_id, valid_from)),
    not_null(columns := (tenant_id, valid_from, version_number, is_current, days_in_status)),
    history_versions_contiguous,
    history_one_current_version_per_present_tenant,
    accepted_range(column := days_in_status, min_v := 1)
  ),
  description 'SCD2 history of tenant statuses, rebuilt from all daily snapshots on every run.'
);

WITH tenant_snapshots AS (
  SELECT
    snapshot_date,
    tenant_id,
    status,
    contract_type,
    payment_status
  FROM silver.tenant_daily_snapshots
),

-- Every status a tenant had, with the first and last snapshot date it had it and the codes of
-- that first day. One hash aggregate over all snapshots: no sort of the whole history.
status_spans AS (
  SELECT
    tenant_id,
    status,
    MIN(snapshot_date) AS first_date,
    MAX(snapshot_date) AS last_date,
    @first_by(contract_type, snapshot_date) AS contract_type,
    @first_by(payment_status, snapshot_date) AS payment_status
  FROM tenant_snapshots
  GROUP BY tenant_id, status
),

tenant_last_seen AS (
  SELECT
    tenant_id,
    MAX(last_date) AS last_seen_date
  FROM status_spans
  GROUP BY tenant_id
),

latest_snapshot AS (
  SELECT
    MAX(last_seen_date) AS latest_snapshot_date
  FROM tenant_last_seen
),

-- A tenant whose status spans do not overlap went through each status once (A -> B -> C):
-- each span is one version. A tenant that came back to an earlier status (A -> B -> A) has
-- a span starting before an earlier-starting span ended.
spans_with_previous_end AS (
  SELECT
    tenant_id,
    first_date,
    MAX(last_date) OVER (
      PARTITION BY tenant_id ORDER BY first_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS previous_spans_end
  FROM status_spans
),

returning_tenants AS (
  SELECT DISTINCT
    tenant_id
  FROM spans_with_previous_end
  WHERE previous_spans_end > first_date
),

single_pass_version_starts AS (
  SELECT
    tenant_id,
    first_date AS valid_from,
    status,
    contract_type,
    payment_status
  FROM status_spans
  WHERE tenant_id NOT IN (SELECT tenant_id FROM returning_tenants)
),

-- Returning tenants (a few percent): compare each snapshot with the tenant's previous one.
returning_tenant_snapshots AS (
  SELECT
    snapshot_date,
    tenant_id,
    status,
    contract_type,
    payment_status
  FROM silver.tenant_daily_snapshots  -- not the CTE: a CTE read twice is materialized
  WHERE tenant_id IN (SELECT tenant_id FROM returning_tenants)
),

returning_snapshots_with_previous AS (
  SELECT
    tenant_id,
    snapshot_date,
    status,
    contract_type,
    payment_status,
    LAG(snapshot_date) OVER by_tenant AS previous_snapshot_date,
    LAG(status) OVER by_tenant AS previous_status
  FROM returning_tenant_snapshots
  WINDOW by_tenant AS (PARTITION BY tenant_id ORDER BY snapshot_date)
),

returning_version_starts AS (
  SELECT
    tenant_id,
    snapshot_date AS valid_from,
    status,
    contract_type,
    payment_status
  FROM returning_snapshots_with_previous
  WHERE previous_snapshot_date IS NULL
    OR status IS DISTINCT FROM previous_status
),

version_starts AS (
  SELECT * FROM single_pass_version_starts
  UNION ALL
  SELECT * FROM returning_version_starts
),

versions AS (
  SELECT
    version_starts.tenant_id,
    version_starts.valid_from,
    version_starts.status,
    version_starts.contract_type,
    version_starts.payment_status,
    tenant_last_seen.last_seen_date,
    ROW_NUMBER() OVER by_tenant AS version_number,
    LEAD(version_starts.valid_from) OVER by_tenant AS next_valid_from
  FROM version_starts
  JOIN tenant_last_seen
    ON version_starts.tenant_id = tenant_last_seen.tenant_id
  WINDOW by_tenant AS (PARTITION BY version_starts.tenant_id ORDER BY version_starts.valid_from)
),

versions_closed AS (
  SELECT
    versions.*,
    versions.next_valid_from IS NULL
      AND versions.last_seen_date = latest_snapshot.latest_snapshot_date AS is_current,
    CASE
      WHEN versions.next_valid_from IS NOT NULL THEN versions.next_valid_from - 1
      WHEN versions.last_seen_date = latest_snapshot.latest_snapshot_date THEN NULL
      ELSE versions.last_seen_date
    END AS valid_to,
    latest_snapshot.latest_snapshot_date
  FROM versions
  CROSS JOIN latest_snapshot
)

SELECT
  tenant_id::BIGINT AS tenant_id, -- tenants.id
  valid_from::DATE AS valid_from, -- first snapshot date of the version
  version_number::INTEGER AS version_number, -- 1, 2, ... per tenant in valid_from order
  status::INTEGER AS status, -- management status code of the version
  contract_type::INTEGER AS contract_type, -- contract type at valid_from
  payment_status::INTEGER AS payment_status, -- payment status at valid_from
  valid_to::DATE AS valid_to, -- last day of the version; NULL while current
  is_current::BOOLEAN AS is_current, -- last version of a tenant in the latest snapshot
  (DATE_DIFF('day', valid_from, COALESCE(valid_to, latest_snapshot_date)) + 1)::INTEGER AS days_in_status -- days in this status, inclusive
FROM versions_closed
