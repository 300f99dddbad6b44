/*
  gold.tenant_status_transitions -- one row per status history version, with labels and
  what changed from the tenant's previous version (SPEC §4).

  * status_label / previous_status_label: label_ja of reference.status_codes (NULL for a
    code missing from the seed).
  * status_changed: previous_status is not NULL and differs from status.
  * payment_status_changed: payment_status IS DISTINCT FROM the previous version's
    (NULL -> 2 is a change, NULL -> NULL is not); false on a tenant's first version.

  kind   FULL (rebuilt with the history it derives from)
  grain  (tenant_id, valid_from)
  owner  analytics-engineering
  audits unique grain; first versions have no previous status and no change flags
*/
MODEL (
  name gold.tenant_status_transitions,
  kind FULL,
  grain (tenant_id, valid_from),
  owner 'analytics-engineering',
  audits (
    unique_combination_of_columns(columns := (tenant_id, valid_from)),
    not_null(columns := (tenant_id, valid_from, status_changed, payment_status_changed)),
    transitions_first_version_has_no_previous
  ),
  description 'Tenant status versions with labels and change flags, for the transitions dashboard.'
);

WITH history AS (
  SELECT
    tenant_id,
    valid_from,
    version_number,
    status,
    payment_status,
    valid_to,
    days_in_status,
    is_current
  FROM silver.tenant_status_history
),

status_labels AS (
  SELECT
    code,
    label_ja
  FROM reference.status_codes
),

history_with_previous AS (
  SELECT
    history.*,
    LAG(status) OVER by_tenant AS previous_status,
    LAG(payment_status) OVER by_tenant AS previous_payment_status
  FROM history
  WINDOW by_tenant AS (PARTITION BY tenant_id ORDER BY valid_from)
),

labelled AS (
  SELECT
    history_with_previous.*,
    current_label.label_ja AS status_label,
    previous_label.label_ja AS previous_status_label
  FROM history_with_previous
  LEFT JOIN status_labels AS current_label
    ON history_with_previous.status = current_label.code
  LEFT JOIN status_labels AS previous_label
    ON history_with_previous.previous_status = previous_label.code
)

SELECT
  tenant_id::BIGINT AS tenant_id, -- tenants.id
  valid_from::DATE AS valid_from, -- first snapshot date of the version
  version_number::INTEGER AS version_number, -- 1, 2, ... per tenant
  status::INTEGER AS status, -- management status code of the version
  status_label::VARCHAR AS status_label, -- label_ja of status
  previous_status::INTEGER AS previous_status, -- status of the previous version; NULL on the first
  previous_status_label::VARCHAR AS previous_status_label, -- label_ja of previous_status
  payment_status::INTEGER AS payment_status, -- payment status at valid_from
  previous_payment_status::INTEGER AS previous_payment_status, -- payment status of the previous version
  valid_to::DATE AS valid_to, -- last day of the version; NULL while current
  days_in_status::INTEGER AS days_in_status, -- days in this status, inclusive
  is_current::BOOLEAN AS is_current, -- the tenant's open version in the latest snapshot
  (previous_status IS NOT NULL AND previous_status IS DISTINCT FROM status)::BOOLEAN AS status_changed, -- status differs from the previous version
  (version_number > 1 AND payment_status IS DISTINCT FROM previous_payment_status)::BOOLEAN AS payment_status_changed -- payment status differs (NULL-safe)
FROM labelled
