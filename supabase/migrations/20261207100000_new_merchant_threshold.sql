-- The categorizer's auto-apply threshold for merchants the user has not filed yet.
--
-- One threshold over all guesses mixed two populations: guesses for a merchant the user had
-- filed before were right 96-100% of the time, guesses for a new merchant 34-64%, so a level
-- that reached 95% on average let new-merchant guesses through that were only 89-93% right
-- (ml.evaluate on the real and demo files; bench/RESULTS.md). The categorizer now measures
-- both (ml.calibration.thresholds_by_merchant) and the job applies each to its own rows.
--
-- 1. pipeline.user_state.model_threshold_new: the new-merchant threshold of the last fit
--    (model_threshold stays the one for known merchants). Written by the job as
--    pfm_job_worker, which already has insert/update on the table (20261121300000_pipeline);
--    the table has no user policies: users read it only through the function below.
-- 2. private.my_categorizer_threshold() also returns it, for the caller's own row only.
--    Its result type changes, so it is dropped and created again, with the same grants.

alter table pipeline.user_state
  add column if not exists model_threshold_new real
    check (model_threshold_new is null or model_threshold_new between 0 and 1);
comment on column pipeline.user_state.model_threshold is
  'The auto-apply threshold the categorizer measured at its last fit for merchants the user had '
  'filed before (ml.calibration.thresholds_by_merchant on the replayed history; 1.0 = never, '
  'also while too little can be replayed). Used unless the user set their own '
  '(profiles.auto_apply_threshold).';
comment on column pipeline.user_state.model_threshold_new is
  'The same for merchants the user has not filed yet (measured on the replayed guesses for '
  'new merchants only; 1.0 = never).';

drop function if exists private.my_categorizer_threshold();
create function private.my_categorizer_threshold()
returns table (threshold real, threshold_new real, labels integer, measured_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select s.model_threshold, s.model_threshold_new, s.model_threshold_labels,
         s.model_threshold_at
  from pipeline.user_state s
  where s.user_id = (select auth.uid()) and s.model_threshold is not null
$$;
revoke all on function private.my_categorizer_threshold() from public;
grant execute on function private.my_categorizer_threshold() to authenticated;
