-- The job pipeline: dirty markers and run records (schema `pipeline`, not exposed), and the
-- per-user outputs of the stages (schema `public`, RLS): monthly features, recurring series,
-- anomalies and verdicts, alerts, deliveries and notification preferences.
--
-- Users read their own outputs and may change only the feedback columns (confirm/dismiss a
-- series, snooze/dismiss an alert). Outputs are written by the job process as the
-- least-privilege `pfm_job_worker` role, so a user cannot forge a model output.

create schema if not exists pipeline;
revoke all on schema pipeline from public;
grant usage on schema pipeline to pfm_job_worker;

create table pipeline.user_state (
  user_id uuid primary key references auth.users (id) on delete cascade,
  dirty_seq bigint not null default 0,
  processed_seq bigint not null default 0,
  dirty_since timestamptz,
  last_run_at timestamptz,
  last_status text,
  failures integer not null default 0,
  next_retry_at timestamptz
);
create index user_state_dirty_idx on pipeline.user_state (dirty_since)
  where dirty_seq > processed_seq;

create table pipeline.job_runs (
  id bigint generated always as identity primary key,
  run_id uuid not null,
  stage text not null,
  user_id uuid,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  error text,
  rows_written integer not null default 0,
  model_version text,
  attempt integer not null default 1
);
create index job_runs_stage_idx on pipeline.job_runs (stage, started_at desc);
create index job_runs_user_idx on pipeline.job_runs (user_id, started_at desc);
grant select, insert, update, delete on pipeline.user_state, pipeline.job_runs to pfm_job_worker;

-- Mark users dirty when their inputs change (statement-level, so a 100k-row import is one upsert).
create or replace function private.mark_dirty() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into pipeline.user_state as s (user_id, dirty_seq, dirty_since)
  select distinct user_id, 1, now() from changed_rows
  on conflict (user_id) do update
    set dirty_seq = s.dirty_seq + 1,
        dirty_since = coalesce(case when s.dirty_seq > s.processed_seq then s.dirty_since end, now());
  perform pg_notify('pfm_dirty', '');
  return null;
end
$$;
revoke all on function private.mark_dirty() from public;

create trigger transactions_dirty_ins after insert on public.transactions
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
create trigger transactions_dirty_upd after update on public.transactions
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
create trigger transactions_dirty_del after delete on public.transactions
  referencing old table as changed_rows for each statement execute function private.mark_dirty();
create trigger corrections_dirty_ins after insert on public.corrections
  referencing new table as changed_rows for each statement execute function private.mark_dirty();

-- The job worker reads user inputs only inside a user's session (claims + role authenticated);
-- cross-user it sees just the ids of users with work pending.
create or replace function pipeline.pending_users(p_limit integer default 100)
returns table (user_id uuid, dirty_seq bigint)
language sql stable security definer set search_path = ''
as $$
  select s.user_id, s.dirty_seq from pipeline.user_state s
  where s.dirty_seq > s.processed_seq
    and (s.next_retry_at is null or s.next_retry_at <= now())
  order by s.dirty_since nulls first
  limit p_limit
$$;

create or replace function pipeline.all_users()
returns table (user_id uuid)
language sql stable security definer set search_path = ''
as $$ select p.user_id from public.profiles p order by p.created_at $$;

-- ---------------------------------------------------------------------------------------
-- monthly_features: the feature store (patterns stage)
-- ---------------------------------------------------------------------------------------
create table public.monthly_features (
  user_id uuid not null references auth.users (id) on delete cascade,
  month date not null,
  income numeric(14, 2) not null default 0,
  spend numeric(14, 2) not null default 0,
  net numeric(14, 2) not null default 0,
  fixed_spend numeric(14, 2) not null default 0,
  variable_spend numeric(14, 2) not null default 0,
  savings_rate real,
  volatility real,
  features jsonb not null default '{}'::jsonb,
  model_version text not null,
  run_id uuid not null,
  computed_at timestamptz not null default now(),
  primary key (user_id, month)
);
alter table public.monthly_features enable row level security;
create policy monthly_features_select on public.monthly_features for select to authenticated
  using ((select auth.uid()) = user_id);
create policy monthly_features_job_select on public.monthly_features for select to pfm_job_worker using (true);
create policy monthly_features_job_insert on public.monthly_features for insert to pfm_job_worker with check (true);
create policy monthly_features_job_update on public.monthly_features for update to pfm_job_worker using (true) with check (true);
create policy monthly_features_job_delete on public.monthly_features for delete to pfm_job_worker using (true);

-- ---------------------------------------------------------------------------------------
-- recurring_series: subscriptions and bills (recurring stage); user confirms or dismisses
-- ---------------------------------------------------------------------------------------
create table public.recurring_series (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  series_key text not null,
  merchant text not null,
  cadence text not null,
  direction text not null default 'out',
  mean_amount numeric(14, 2),
  last_amount numeric(14, 2),
  n integer not null default 0,
  first_date date,
  last_date date,
  next_date date,
  next_amount numeric(14, 2),
  status text not null,
  price_change jsonb,
  confidence real,
  transaction_ids uuid[] not null default '{}',
  user_status text check (user_status in ('confirmed', 'dismissed')),
  model_version text not null,
  run_id uuid not null,
  updated_at timestamptz not null default now(),
  unique (user_id, series_key)
);
create index recurring_series_user_idx on public.recurring_series (user_id, next_date);
alter table public.recurring_series enable row level security;
create policy recurring_series_select on public.recurring_series for select to authenticated
  using ((select auth.uid()) = user_id);
create policy recurring_series_update on public.recurring_series for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy recurring_series_job_select on public.recurring_series for select to pfm_job_worker using (true);
create policy recurring_series_job_insert on public.recurring_series for insert to pfm_job_worker with check (true);
create policy recurring_series_job_update on public.recurring_series for update to pfm_job_worker using (true) with check (true);
create policy recurring_series_job_delete on public.recurring_series for delete to pfm_job_worker using (true);

-- ---------------------------------------------------------------------------------------
-- anomalies (anomaly stage) and the user's verdicts on them
-- ---------------------------------------------------------------------------------------
create table public.anomalies (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  alert_key text not null,
  transaction_id uuid references public.transactions (id) on delete cascade,
  related_ids uuid[] not null default '{}',
  kind text not null,
  kinds text[] not null default '{}',
  score real not null,
  risk text not null check (risk in ('high', 'medium', 'low')),
  reason text not null,
  details jsonb not null default '{}'::jsonb,
  model_version text not null,
  run_id uuid not null,
  detected_at timestamptz not null default now(),
  unique (user_id, alert_key)
);
create index anomalies_user_idx on public.anomalies (user_id, risk);
create index anomalies_transaction_idx on public.anomalies (transaction_id);
alter table public.anomalies enable row level security;
create policy anomalies_select on public.anomalies for select to authenticated
  using ((select auth.uid()) = user_id);
create policy anomalies_job_select on public.anomalies for select to pfm_job_worker using (true);
create policy anomalies_job_insert on public.anomalies for insert to pfm_job_worker with check (true);
create policy anomalies_job_update on public.anomalies for update to pfm_job_worker using (true) with check (true);
create policy anomalies_job_delete on public.anomalies for delete to pfm_job_worker using (true);

create table public.anomaly_verdicts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  alert_key text,
  transaction_id uuid references public.transactions (id) on delete cascade,
  merchant text,
  kind text,
  verdict text not null check (verdict in ('expected', 'suspicious')),
  created_at timestamptz not null default now()
);
create index anomaly_verdicts_user_idx on public.anomaly_verdicts (user_id, created_at desc);
create index anomaly_verdicts_transaction_idx on public.anomaly_verdicts (transaction_id);
alter table public.anomaly_verdicts enable row level security;
create policy anomaly_verdicts_select on public.anomaly_verdicts for select to authenticated
  using ((select auth.uid()) = user_id);
create policy anomaly_verdicts_insert on public.anomaly_verdicts for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy anomaly_verdicts_update on public.anomaly_verdicts for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy anomaly_verdicts_delete on public.anomaly_verdicts for delete to authenticated
  using ((select auth.uid()) = user_id);
create trigger anomaly_verdicts_dirty_ins after insert on public.anomaly_verdicts
  referencing new table as changed_rows for each statement execute function private.mark_dirty();

-- ---------------------------------------------------------------------------------------
-- alerts (deduplicated by alert_key), their deliveries, and notification preferences
-- ---------------------------------------------------------------------------------------
create table public.alerts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  alert_key text not null,
  type text not null check (type in ('anomaly', 'price_rise', 'missed_bill', 'upcoming_bill',
                                     'new_subscription', 'low_balance', 'budget')),
  risk text not null check (risk in ('high', 'medium', 'low')),
  title text not null,
  body text not null,
  transaction_ids uuid[] not null default '{}',
  status text not null default 'open' check (status in ('open', 'snoozed', 'dismissed', 'resolved')),
  snoozed_until timestamptz,
  model_version text not null,
  run_id uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, alert_key)
);
create index alerts_user_idx on public.alerts (user_id, status, created_at desc);
alter table public.alerts enable row level security;
create policy alerts_select on public.alerts for select to authenticated
  using ((select auth.uid()) = user_id);
create policy alerts_update on public.alerts for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy alerts_job_select on public.alerts for select to pfm_job_worker using (true);
create policy alerts_job_insert on public.alerts for insert to pfm_job_worker with check (true);
create policy alerts_job_update on public.alerts for update to pfm_job_worker using (true) with check (true);
create policy alerts_job_delete on public.alerts for delete to pfm_job_worker using (true);

create table public.alert_deliveries (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  alert_id uuid not null references public.alerts (id) on delete cascade,
  channel text not null check (channel in ('email', 'webhook', 'sms', 'log')),
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts integer not null default 0,
  last_error text,
  next_attempt_at timestamptz,
  sent_at timestamptz,
  unique (alert_id, channel)
);
create index alert_deliveries_user_idx on public.alert_deliveries (user_id);
create index alert_deliveries_pending_idx on public.alert_deliveries (next_attempt_at)
  where status = 'pending';
alter table public.alert_deliveries enable row level security;
create policy alert_deliveries_select on public.alert_deliveries for select to authenticated
  using ((select auth.uid()) = user_id);
create policy alert_deliveries_job_select on public.alert_deliveries for select to pfm_job_worker using (true);
create policy alert_deliveries_job_insert on public.alert_deliveries for insert to pfm_job_worker with check (true);
create policy alert_deliveries_job_update on public.alert_deliveries for update to pfm_job_worker using (true) with check (true);
create policy alert_deliveries_job_delete on public.alert_deliveries for delete to pfm_job_worker using (true);

create table public.notification_prefs (
  user_id uuid primary key default auth.uid() references auth.users (id) on delete cascade,
  in_app_min_risk text not null default 'medium' check (in_app_min_risk in ('high', 'medium', 'low')),
  email_enabled boolean not null default false,
  email_address text,
  webhook_enabled boolean not null default false,
  webhook_url text check (webhook_url is null or webhook_url ~ '^https?://'),
  sms_enabled boolean not null default false,
  sms_number text,
  updated_at timestamptz not null default now()
);
alter table public.notification_prefs enable row level security;
create policy notification_prefs_select on public.notification_prefs for select to authenticated
  using ((select auth.uid()) = user_id);
create policy notification_prefs_insert on public.notification_prefs for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy notification_prefs_update on public.notification_prefs for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy notification_prefs_delete on public.notification_prefs for delete to authenticated
  using ((select auth.uid()) = user_id);
create policy notification_prefs_job_select on public.notification_prefs for select to pfm_job_worker using (true);

-- grants: users read outputs and change only feedback columns; the worker writes outputs
revoke all on public.monthly_features, public.recurring_series, public.anomalies,
  public.anomaly_verdicts, public.alerts, public.alert_deliveries, public.notification_prefs from anon;
grant select on public.monthly_features, public.recurring_series, public.anomalies, public.alerts,
  public.alert_deliveries to authenticated;
grant update (user_status) on public.recurring_series to authenticated;
grant update (status, snoozed_until) on public.alerts to authenticated;
grant select, insert, update, delete on public.anomaly_verdicts, public.notification_prefs to authenticated;
grant select, insert, update, delete on public.monthly_features, public.recurring_series,
  public.anomalies, public.alerts, public.alert_deliveries to pfm_job_worker;
grant select on public.notification_prefs to pfm_job_worker;

-- installation-wide aggregates for operators (python -m app status)
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
    0::bigint  -- no forecast table yet: the forecast migration redefines this function
$$;
revoke all on function pipeline.pending_users(integer), pipeline.all_users(),
  pipeline.installation_counts() from public;
grant execute on function pipeline.pending_users(integer), pipeline.all_users(),
  pipeline.installation_counts() to pfm_job_worker;
