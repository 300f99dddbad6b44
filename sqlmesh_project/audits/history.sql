/*
  Audits of silver.tenant_status_history. Each returns the offending rows; any row fails
  (blocks) the plan or run.
*/

-- Versions of a tenant are numbered 1..n in valid_from order and chain without overlap or
-- hole: valid_from(n+1) = valid_to(n) + 1, and only the last version may be open (NULL).
AUDIT (
  name history_versions_contiguous
);
WITH ordered_versions AS (
  SELECT
    tenant_id,
    valid_from,
    valid_to,
    version_number,
    ROW_NUMBER() OVER by_tenant AS expected_version_number,
    LEAD(valid_from) OVER by_tenant AS next_valid_from
  FROM @this_model
  WINDOW by_tenant AS (PARTITION BY tenant_id ORDER BY valid_from)
)
SELECT *
FROM ordered_versions
WHERE version_number <> expected_version_number
  OR valid_to < valid_from
  OR (next_valid_from IS NOT NULL AND valid_to IS NULL)
  OR (next_valid_from IS NOT NULL AND next_valid_from <> valid_to + 1);

-- Exactly one current version for every tenant of the latest snapshot, none for a tenant
-- that vanished from it; a current version is open (valid_to NULL), others are closed.
AUDIT (
  name history_one_current_version_per_present_tenant
);
WITH latest_tenants AS (
  SELECT DISTINCT tenant_id
  FROM silver.tenant_daily_snapshots
  WHERE snapshot_date = (SELECT MAX(snapshot_date) FROM silver.tenant_daily_snapshots)
),
current_versions AS (
  SELECT
    tenant_id,
    COUNT(*) FILTER (WHERE is_current) AS current_versions,
    COUNT(*) FILTER (WHERE is_current <> (valid_to IS NULL)) AS inconsistent_versions
  FROM @this_model
  GROUP BY tenant_id
)
SELECT
  COALESCE(c.tenant_id, l.tenant_id) AS tenant_id,
  c.current_versions,
  c.inconsistent_versions,
  l.tenant_id IS NOT NULL AS in_latest_snapshot
FROM current_versions AS c
FULL OUTER JOIN latest_tenants AS l
  ON c.tenant_id = l.tenant_id
WHERE COALESCE(c.inconsistent_versions, 0) > 0
  OR (l.tenant_id IS NOT NULL AND COALESCE(c.current_versions, 0) <> 1)
  OR (l.tenant_id IS NULL AND c.current_versions <> 0);
