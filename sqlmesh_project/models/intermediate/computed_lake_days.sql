/*
  intermediate.computed_lake_days -- which lake content the warehouse computed each snapshot
  day from: one row per committed lake day with the fingerprint of its files (lake/manifest.py).

  The job compares it with the lake before every run (pipeline/models/planning.py): a day whose
  lake fingerprint differs (a corrected dump), a lake day missing here (a dump that arrived
  after its day was computed as a gap) and a day here the lake no longer has are restated in
  every model tagged `lake`. It is computed in the same runs and restatements as the other lake
  models, from the same raw.* views, so it records what they read: no bookkeeping file to lose
  when a run dies.

  It depends on every model it vouches for (depends_on), so SQLMesh computes a day here only
  after all of them computed that day: a run or restatement killed half-way leaves the old
  fingerprint, and the next run restates the day again. (SQLMesh restates prod intervals in
  place: it does not clear them before the backfill, so without this order a killed
  restatement could leave models on the old content with the new fingerprint recorded.)
  gold.occupancy_projection_accuracy is left out on purpose: run_models restates it past the
  restated days (a restated T' changes the rows of the dates it projected), and as a dependency
  that would re-record days whose other models were not recomputed. A run killed there leaves
  its intent, so the next run restates those days again.

  kind   INCREMENTAL_BY_TIME_RANGE on snapshot_date, lookback @lookback_days (like the models
         it vouches for)
  grain  snapshot_date
  owner  analytics-engineering
  audits unique grain
  source raw.lake_days (the view of macros/lake.py)
*/
MODEL (
  name intermediate.computed_lake_days,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column snapshot_date,
    lookback @lookback_days,
    batch_size @batch_days
  ),
  grain snapshot_date,
  owner 'analytics-engineering',
  tags [lake],
  signals [lake_has_snapshot(lake_root := @lake_root)],
  depends_on [
    silver.tenant_daily_snapshots,
    silver.tenant_room_snapshot_daily,
    silver.tenant_status_history,
    gold.tenant_status_transitions,
    intermediate.occupancy_daily_actuals,
    intermediate.occupancy_daily_projection,
    intermediate.occupancy_group_daily_actuals,
    intermediate.occupancy_group_daily_projection
  ],
  audits (
    unique_values(columns := (snapshot_date)),
    not_null(columns := (snapshot_date, lake_fingerprint))
  ),
  description 'The lake content (fingerprint) each snapshot day of the warehouse was computed from.'
);

WITH lake_days_in_interval AS (
  SELECT
    snapshot_date,
    lake_fingerprint
  FROM raw.lake_days
  WHERE snapshot_date BETWEEN @start_date AND @end_date
)

SELECT
  snapshot_date::DATE AS snapshot_date, -- a committed lake day
  lake_fingerprint::VARCHAR AS lake_fingerprint -- fingerprint of its files when it was computed
FROM lake_days_in_interval
