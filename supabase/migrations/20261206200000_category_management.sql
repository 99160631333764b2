-- Category management (Settings > Categories, core/category_admin.py and core/category_merge.py):
-- users create, rename, merge and delete their own categories and groups, and change a
-- category's kind and is_essential. The edits themselves run under the user's row-level
-- security (the categories policies and grants of the foundation migration are unchanged);
-- this migration adds what the stored model outputs need to follow them, and a way for the
-- Settings page to show the auto-apply threshold actually in use.
--
-- 1. An update or delete of a category marks its user dirty, like an edit of their
--    transactions, budgets or accounts: the categorizer learns by category *name* (labels,
--    suggestions, explanations) and the planning stage reads kind and is_essential, so the next
--    poll refits and replans. (An insert does not: a new category holds nothing yet, and the
--    trigger would also fire when a new user's default taxonomy is seeded.)
-- 2. budget_status (a job output) names its category, and budget alerts carry the name in their
--    key (`budget:<category>:<YYYY-MM>:<level>`) and title. A rename carries the new name into
--    both at once (security definer trigger: users cannot write job outputs), so the dashboard
--    and budgets page never show the old name and the same budget event does not alert twice.
-- 3. budget_status.category_id now cascades on delete (it was `set null`): the status row of a
--    merged or deleted category is a stale figure under a name that no longer exists; the job
--    recomputes the target's figures at its next poll.
-- 4. pipeline.user_state keeps the auto-apply threshold the categorizer measured at its last fit
--    (written by the job, jobs/categorize.py) and how many of the user's decisions it was
--    measured on; private.my_categorizer_threshold() returns the caller's own (Settings shows
--    "Currently applied at >= 93%").

-- ---------------------------------------------------------------------------------------
-- 1. dirty markers
-- ---------------------------------------------------------------------------------------
create trigger categories_dirty_upd after update on public.categories
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
create trigger categories_dirty_del after delete on public.categories
  referencing old table as changed_rows for each statement execute function private.mark_dirty();

-- ---------------------------------------------------------------------------------------
-- 2. a renamed category's stored budget status and budget alerts follow the new name
-- ---------------------------------------------------------------------------------------
create or replace function private.category_renamed() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_old text := 'budget:' || old.name || ':';
  v_new text := 'budget:' || new.name || ':';
begin
  -- a row left under the new name by a category deleted earlier is stale: this one replaces it
  delete from public.budget_status s
  where s.user_id = new.user_id and s.category = new.name
    and s.category_id is distinct from new.id
    and exists (select 1 from public.budget_status k
                where k.user_id = new.user_id and k.category_id = new.id and k.month = s.month);
  update public.budget_status s set category = new.name
  where s.user_id = new.user_id and s.category_id = new.id;
  update public.alerts a
  set alert_key = v_new || substr(a.alert_key, length(v_old) + 1),
      title = case when left(a.title, length(old.name) + 1) = old.name || ':'
                   then new.name || substr(a.title, length(old.name) + 1) else a.title end,
      updated_at = now()
  where a.user_id = new.user_id and a.type = 'budget'
    and left(a.alert_key, length(v_old)) = v_old
    and not exists (select 1 from public.alerts k
                    where k.user_id = new.user_id
                      and k.alert_key = v_new || substr(a.alert_key, length(v_old) + 1));
  return null;
end
$$;
revoke all on function private.category_renamed() from public;
create trigger categories_renamed after update of name on public.categories
  for each row when (old.name is distinct from new.name and new.parent_id is not null)
  execute function private.category_renamed();

-- ---------------------------------------------------------------------------------------
-- 3. a deleted category's stored budget status goes with it
-- ---------------------------------------------------------------------------------------
alter table public.budget_status drop constraint if exists budget_status_category_id_fkey;
alter table public.budget_status add constraint budget_status_category_id_fkey
  foreign key (category_id) references public.categories (id) on delete cascade;

-- ---------------------------------------------------------------------------------------
-- 4. the categorizer's measured auto-apply threshold, readable by its user
-- ---------------------------------------------------------------------------------------
alter table pipeline.user_state
  add column if not exists model_threshold real
    check (model_threshold is null or model_threshold between 0 and 1),
  add column if not exists model_threshold_labels integer,
  add column if not exists model_threshold_at timestamptz;
comment on column pipeline.user_state.model_threshold is
  'The auto-apply threshold the categorizer measured at its last fit (ml.calibration.'
  'threshold_for_precision on the replayed history; 0.9 with too little, 1.0 = never). Used '
  'unless the user set their own (profiles.auto_apply_threshold).';
comment on column pipeline.user_state.model_threshold_labels is
  'How many of the user''s decisions (labeled transactions) that fit learned from.';

create or replace function private.my_categorizer_threshold()
returns table (threshold real, labels integer, measured_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select s.model_threshold, s.model_threshold_labels, s.model_threshold_at
  from pipeline.user_state s
  where s.user_id = (select auth.uid()) and s.model_threshold is not null
$$;
revoke all on function private.my_categorizer_threshold() from public;
grant execute on function private.my_categorizer_threshold() to authenticated;
