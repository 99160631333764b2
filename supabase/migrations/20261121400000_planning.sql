-- Planning: the cash-flow forecast (per month and a per-user summary), budgets and their
-- status, savings goals and their plans, and the monthly investment-readiness verdict.
--
-- Budgets and goals are the user's own inputs (one policy per command for the owner; editing
-- them marks the user dirty so the job process replans). Everything else is a model output:
-- users read it; only the least-privilege `pfm_job_worker` role writes it.

-- ---------------------------------------------------------------------------------------
-- forecasts: p10 / p50 / p90 of income, spending, net cash flow and balance per month
-- (the current month and the horizon). Column names are read by analytics.forecast_accuracy.
-- ---------------------------------------------------------------------------------------
create table public.forecasts (
  user_id uuid not null references auth.users (id) on delete cascade,
  month date not null,
  kind text not null check (kind in ('current', 'forecast')),
  income_p10 numeric(14, 2), income_p50 numeric(14, 2), income_p90 numeric(14, 2),
  spend_p10 numeric(14, 2), spend_p50 numeric(14, 2), spend_p90 numeric(14, 2),
  net_p10 numeric(14, 2), net_p50 numeric(14, 2), net_p90 numeric(14, 2),
  balance_p10 numeric(14, 2), balance_p50 numeric(14, 2), balance_p90 numeric(14, 2),
  recurring_in numeric(14, 2), recurring_out numeric(14, 2),
  model_version text not null,
  run_id uuid not null,
  computed_at timestamptz not null default now(),
  primary key (user_id, month)
);

-- one row per user: the scalars of the latest forecast, and compact surplus samples for
-- the goal planner's what-if (paths x horizon, flattened row-major; `surplus_shape`).
create table public.forecast_summary (
  user_id uuid primary key references auth.users (id) on delete cascade,
  as_of date,
  status text not null check (status in ('ok', 'insufficient_data')),
  reason text not null default '',
  balance numeric(14, 2),
  buffer numeric(14, 2),
  month_end_balance_p10 numeric(14, 2),
  month_end_balance_p50 numeric(14, 2),
  month_end_balance_p90 numeric(14, 2),
  prob_below_buffer real,
  income_cv real,
  income_regular boolean not null default false,
  income_stability real,
  spend_cv real,
  essential_spend numeric(14, 2),
  surplus_p10 numeric(14, 2),
  surplus_p50 numeric(14, 2),
  prob_surplus_positive real,
  stability_score real,
  n_months integer not null default 0,
  surplus_samples real[],
  surplus_shape integer[],
  details jsonb not null default '{}'::jsonb,
  model_version text not null,
  run_id uuid not null,
  computed_at timestamptz not null default now()
);

-- ---------------------------------------------------------------------------------------
-- budgets (user input) and budget_status (job output for the current period)
-- ---------------------------------------------------------------------------------------
create table public.budgets (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  category_id uuid not null references public.categories (id) on delete cascade,
  period text not null default 'monthly' check (period in ('monthly', 'weekly')),
  amount numeric(14, 2) not null check (amount >= 0),
  rollover boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, category_id)
);
create index budgets_user_idx on public.budgets (user_id);
create index budgets_category_idx on public.budgets (category_id);

create table public.budget_status (
  user_id uuid not null references auth.users (id) on delete cascade,
  month date not null,
  category text not null,
  category_id uuid references public.categories (id) on delete set null,
  source text not null default 'suggested' check (source in ('user', 'suggested')),
  period text not null default 'monthly',
  budget numeric(14, 2) not null default 0,
  suggested numeric(14, 2),
  rollover numeric(14, 2) not null default 0,
  available numeric(14, 2) not null default 0,
  spent numeric(14, 2) not null default 0,
  remaining numeric(14, 2) not null default 0,
  pct real,
  status text not null,
  weekly_budget numeric(14, 2),
  spent_this_week numeric(14, 2),
  model_version text not null,
  run_id uuid not null,
  computed_at timestamptz not null default now(),
  primary key (user_id, month, category)
);
create index budget_status_category_idx on public.budget_status (category_id);

-- safe-to-spend for the rest of the month (one row per user and month)
create table public.safe_to_spend (
  user_id uuid not null references auth.users (id) on delete cascade,
  month date not null,
  safe_to_spend numeric(14, 2) not null,
  per_day numeric(14, 2) not null,
  days_left integer not null,
  balance_based numeric(14, 2),
  budget_based numeric(14, 2),
  bills_due numeric(14, 2),
  income_due numeric(14, 2),
  model_version text not null,
  run_id uuid not null,
  computed_at timestamptz not null default now(),
  primary key (user_id, month)
);

-- ---------------------------------------------------------------------------------------
-- goals (user input) and goal_plans (job output per goal)
-- ---------------------------------------------------------------------------------------
create table public.goals (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (length(name) between 1 and 120),
  kind text not null check (kind in ('emergency_fund', 'short_term', 'long_term')),
  target numeric(14, 2) not null check (target > 0),
  saved numeric(14, 2) not null default 0 check (saved >= 0),
  target_date date,
  priority integer not null default 3 check (priority between 1 and 5),
  monthly numeric(14, 2) check (monthly is null or monthly >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index goals_user_idx on public.goals (user_id);

create table public.goal_plans (
  user_id uuid not null references auth.users (id) on delete cascade,
  goal_id uuid not null references public.goals (id) on delete cascade,
  plan_order integer not null,
  allocation numeric(14, 2) not null default 0,
  required_monthly numeric(14, 2),
  capped boolean not null default false,
  expected_completion date,
  confidence real,
  status text not null,
  explanation text not null,
  model_version text not null,
  run_id uuid not null,
  computed_at timestamptz not null default now(),
  primary key (user_id, goal_id)
);
create index goal_plans_goal_idx on public.goal_plans (goal_id);

-- ---------------------------------------------------------------------------------------
-- readiness: one verdict per user and month; `record` feeds the 3-month stability filter
-- ---------------------------------------------------------------------------------------
create table public.readiness (
  user_id uuid not null references auth.users (id) on delete cascade,
  month date not null,
  score real not null,
  eligible boolean not null,
  raw_eligible boolean not null,
  investable_monthly numeric(14, 2) not null default 0,
  horizon_years real,
  instrument text check (instrument in ('debt', 'hybrid', 'equity')),
  gates jsonb not null default '[]'::jsonb,
  explanation text not null,
  disclaimer text not null,
  record jsonb not null default '{}'::jsonb,
  model_version text not null,
  run_id uuid not null,
  computed_at timestamptz not null default now(),
  primary key (user_id, month)
);

-- ---------------------------------------------------------------------------------------
-- RLS: user tables (one policy per command) and outputs (user select, job worker writes)
-- ---------------------------------------------------------------------------------------
alter table public.budgets enable row level security;
alter table public.goals enable row level security;
create policy budgets_select on public.budgets for select to authenticated
  using ((select auth.uid()) = user_id);
create policy budgets_insert on public.budgets for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy budgets_update on public.budgets for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy budgets_delete on public.budgets for delete to authenticated
  using ((select auth.uid()) = user_id);
create policy budgets_job_select on public.budgets for select to pfm_job_worker using (true);
create policy goals_select on public.goals for select to authenticated
  using ((select auth.uid()) = user_id);
create policy goals_insert on public.goals for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy goals_update on public.goals for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy goals_delete on public.goals for delete to authenticated
  using ((select auth.uid()) = user_id);
create policy goals_job_select on public.goals for select to pfm_job_worker using (true);

do $$
declare t text;
begin
  foreach t in array array['forecasts', 'forecast_summary', 'budget_status', 'safe_to_spend',
                           'goal_plans', 'readiness'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('create policy %I on public.%I for select to authenticated'
                   ' using ((select auth.uid()) = user_id)', t || '_select', t);
    execute format('create policy %I on public.%I for select to pfm_job_worker using (true)',
                   t || '_job_select', t);
    execute format('create policy %I on public.%I for insert to pfm_job_worker with check (true)',
                   t || '_job_insert', t);
    execute format('create policy %I on public.%I for update to pfm_job_worker'
                   ' using (true) with check (true)', t || '_job_update', t);
    execute format('create policy %I on public.%I for delete to pfm_job_worker using (true)',
                   t || '_job_delete', t);
    execute format('create index if not exists %I on public.%I (user_id)', t || '_user_idx', t);
  end loop;
end
$$;

revoke all on public.forecasts, public.forecast_summary, public.budgets, public.budget_status,
  public.safe_to_spend, public.goals, public.goal_plans, public.readiness from anon;
grant select on public.forecasts, public.forecast_summary, public.budget_status,
  public.safe_to_spend, public.goal_plans, public.readiness to authenticated;
grant select, insert, update, delete on public.budgets, public.goals to authenticated;
grant select on public.budgets, public.goals to pfm_job_worker;
grant select, insert, update, delete on public.forecasts, public.forecast_summary,
  public.budget_status, public.safe_to_spend, public.goal_plans, public.readiness to pfm_job_worker;

-- editing budgets or goals replans: statement-level dirty markers (private.mark_dirty)
create trigger budgets_dirty_ins after insert on public.budgets
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
create trigger budgets_dirty_upd after update on public.budgets
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
create trigger budgets_dirty_del after delete on public.budgets
  referencing old table as changed_rows for each statement execute function private.mark_dirty();
create trigger goals_dirty_ins after insert on public.goals
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
create trigger goals_dirty_upd after update on public.goals
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
create trigger goals_dirty_del after delete on public.goals
  referencing old table as changed_rows for each statement execute function private.mark_dirty();

-- installation-wide aggregates: now counting users with a stored forecast
create or replace function pipeline.installation_counts()
returns table (users bigint, transactions bigint, categorized bigint, needs_review bigint,
               recurring bigint, anomalies bigint, alerts_open bigint, forecasts bigint)
language sql stable security definer set search_path = ''
as $$
  select
    (select count(*) from public.profiles),
    (select count(*) from public.transactions),
    (select count(*) from public.transactions t where t.category_id is not null),
    (select count(*) from public.transactions t where t.needs_review),
    (select count(*) from public.recurring_series r where r.status in ('active', 'new')),
    (select count(*) from public.anomalies),
    (select count(*) from public.alerts a where a.status = 'open'),
    (select count(*) from public.forecast_summary f where f.status = 'ok')
$$;
revoke all on function pipeline.installation_counts() from public;
grant execute on function pipeline.installation_counts() to pfm_job_worker;
