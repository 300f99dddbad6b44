/*
  Audits of gold.occupancy_daily_metrics (SPEC §4). Each returns the offending rows; any row
  fails (blocks) the plan or run.
*/

-- occupancy_delta = new_moveins - new_moveouts, on every row.
AUDIT (
  name metrics_delta_is_moveins_minus_moveouts
);
SELECT *
FROM @this_model
WHERE occupancy_delta IS DISTINCT FROM new_moveins - new_moveouts;

-- period_end_rooms = period_start_rooms + occupancy_delta, exactly, on every row.
AUDIT (
  name metrics_period_end_is_start_plus_delta
);
SELECT *
FROM @this_model
WHERE period_end_rooms IS DISTINCT FROM period_start_rooms + occupancy_delta;

-- occupancy_rate is NULL exactly when total_rooms = 0, else within [0, 1].
AUDIT (
  name metrics_rate_within_unit_range
);
SELECT *
FROM @this_model
WHERE (total_rooms = 0 AND occupancy_rate IS NOT NULL)
  OR (total_rooms > 0 AND (occupancy_rate IS NULL OR occupancy_rate < 0 OR occupancy_rate > 1));

-- Projections: exactly @forward_days rows, the days T+1 .. T+@forward_days after the last
-- actual T, all as of T, each starting where the previous day ended (T+1 from the actual T).
AUDIT (
  name metrics_projection_horizon_and_chain
);
WITH last_actual AS (
  SELECT MAX(snapshot_date) AS as_of_snapshot_date
  FROM @this_model
  WHERE NOT is_projection
),
projections AS (
  SELECT *
  FROM @this_model
  WHERE is_projection
),
horizon AS (
  SELECT
    COUNT(*) AS projected_days,
    MIN(projections.snapshot_date) AS first_day,
    MAX(projections.snapshot_date) AS last_day
  FROM projections
),
chain AS (
  SELECT
    m.snapshot_date,
    m.is_projection,
    m.period_start_rooms,
    m.as_of_snapshot_date,
    LAG(m.period_end_rooms) OVER (ORDER BY m.snapshot_date) AS previous_period_end_rooms,
    LAG(m.snapshot_date) OVER (ORDER BY m.snapshot_date) AS previous_date
  FROM @this_model AS m
  WHERE m.is_projection OR m.snapshot_date = (SELECT as_of_snapshot_date FROM last_actual)
)
SELECT
  'horizon' AS problem,
  NULL::DATE AS snapshot_date
FROM horizon, last_actual
WHERE last_actual.as_of_snapshot_date IS NOT NULL
  AND (
    horizon.projected_days <> @forward_days
    OR horizon.first_day IS DISTINCT FROM last_actual.as_of_snapshot_date + 1
    OR horizon.last_day IS DISTINCT FROM last_actual.as_of_snapshot_date + @forward_days
  )
UNION ALL
SELECT
  'chain' AS problem,
  chain.snapshot_date
FROM chain, last_actual
WHERE chain.is_projection
  AND (
    chain.previous_date IS DISTINCT FROM chain.snapshot_date - 1
    OR chain.period_start_rooms IS DISTINCT FROM chain.previous_period_end_rooms
    OR chain.as_of_snapshot_date IS DISTINCT FROM last_actual.as_of_snapshot_date
  );
