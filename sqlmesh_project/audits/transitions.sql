-- A tenant's first version has no previous status and changes nothing; every later version
-- is a status change (versions only start on a status change).
AUDIT (
  name transitions_first_version_has_no_previous
);
SELECT *
FROM @this_model
WHERE (version_number = 1 AND (previous_status IS NOT NULL OR status_changed OR payment_status_changed))
  OR (version_number > 1 AND NOT status_changed);
