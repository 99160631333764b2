-- Whether the figures the job process stores for a user (forecast, budgets, safe-to-spend,
-- goals, readiness, recurring payments, alerts) are up to date with the user's own changes.
-- pipeline.user_state is not readable by app roles; this security definer function returns the
-- caller's own row only (auth.uid()), so pages can say "your change of 22:41 is being worked
-- into these figures" instead of showing stale figures as if they were current (e.g. amounts
-- of the old base currency written with the new currency's symbol).
create or replace function private.my_pipeline_state()
returns table (pending boolean, changed_since timestamptz, last_run_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select s.dirty_seq > s.processed_seq, s.dirty_since, s.last_run_at
  from pipeline.user_state s
  where s.user_id = (select auth.uid())
$$;
revoke all on function private.my_pipeline_state() from public;
grant execute on function private.my_pipeline_state() to authenticated;
