/*
  reference.status_codes -- management status codes and their labels (SPEC Appendix A).

  kind   SEED (seeds/status_codes.csv; operators edit the CSV, the next `sqlmesh plan`
         picks the change up and rebuilds gold.tenant_status_transitions)
  grain  code
  owner  analytics-engineering
  audits unique code, not-null code and label_ja
*/
MODEL (
  name reference.status_codes,
  kind SEED (
    path '../../seeds/status_codes.csv'
  ),
  grain code,
  owner 'analytics-engineering',
  columns (
    code INTEGER,
    label_ja VARCHAR,
    label_en VARCHAR,
    stage VARCHAR
  ),
  column_descriptions (
    code = 'tenants.status code of the PMS',
    label_ja = 'Japanese label shown on the dashboards (status_label)',
    label_en = 'English label',
    stage = 'lead / application / scheduled / residing / closed (SPEC Appendix A; the report groups by it)'
  ),
  audits (
    unique_values(columns := (code)),
    not_null(columns := (code, label_ja))
  ),
  description 'Management status codes of the PMS with their labels; edited by operators.'
);
