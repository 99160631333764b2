-- Privacy and admin analytics (issue 7): the consent ledger, account deletion with an audit
-- erasure, and k-anonymous aggregates for staff and admins.
--
-- * public.consents: append-only ledger (purpose, granted, version, time) per user, RLS.
-- * analytics (schema, not exposed): security definer functions that return only aggregates
--   over at least k distinct users (k from analytics.config, default 10; a caller may raise k,
--   never lower it). Filters select whole groups (a month, a category, a stage): they never
--   change who is in a group, so two answers cannot be subtracted to isolate a user. Money is
--   aggregated over exactly one partition (month x top-level category x currency).
-- * private.delete_my_account(): deletes every row of the caller in every table with a user_id
--   column (schemas public, private, pipeline, analytics), the wrapped data key (crypto-shredding
--   the encrypted fields), the user's own audit rows (the one sanctioned exception to the
--   append-only rule, authorised per transaction by private.audit_erasures), and the auth user;
--   it leaves one audit entry without personal data.

-- ---------------------------------------------------------------------------------------
-- consents: append-only ledger; the current state is the latest row per purpose
-- ---------------------------------------------------------------------------------------
create table public.consents (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  purpose text not null check (purpose ~ '^[a-z][a-z_]{1,39}$'),
  granted boolean not null,
  version text not null check (length(version) between 1 and 40),
  source text not null default 'settings' check (length(source) between 1 and 40),
  created_at timestamptz not null default now()
);
create index consents_user_id_idx on public.consents (user_id, purpose, id desc);
create index consents_purpose_idx on public.consents (purpose, user_id, id desc);
alter table public.consents enable row level security;
create policy consents_select on public.consents for select to authenticated
  using ((select auth.uid()) = user_id);
create policy consents_insert on public.consents for insert to authenticated
  with check ((select auth.uid()) = user_id);
-- no update/delete policies or grants: the ledger only grows (rows leave with the account).
revoke all on public.consents from anon, authenticated;
grant select, insert on public.consents to authenticated;

-- The signed-in user's current consent for a purpose (default: not given). Invoker rights:
-- RLS limits it to the caller's own rows.
create or replace function public.has_consent(p_purpose text) returns boolean
language sql stable set search_path = ''
as $$
  select coalesce((select c.granted from public.consents c
                   where c.user_id = (select auth.uid()) and c.purpose = p_purpose
                   order by c.id desc limit 1), false)
$$;
revoke all on function public.has_consent(text) from public;
grant execute on function public.has_consent(text) to authenticated;

-- For the job process: users whose latest consent for a purpose is a grant (e.g. training the
-- shared categorization model only on users who agreed).
create or replace function pipeline.consenting_users(p_purpose text default 'model_training')
returns table (user_id uuid)
language sql stable security definer set search_path = ''
as $$
  select l.user_id from (
    select distinct on (c.user_id) c.user_id, c.granted
    from public.consents c where c.purpose = p_purpose
    order by c.user_id, c.id desc) l
  where l.granted
  order by l.user_id
$$;
revoke all on function pipeline.consenting_users(text) from public;
grant execute on function pipeline.consenting_users(text) to pfm_job_worker;

-- ---------------------------------------------------------------------------------------
-- analytics: configuration and helpers (none of the helpers is executable by app roles)
-- ---------------------------------------------------------------------------------------
create schema if not exists analytics;
revoke all on schema analytics from public;
grant usage on schema analytics to authenticated;

create table analytics.config (
  id boolean primary key default true check (id),
  -- below 3, each member of a pair could compute the other's figures
  k_anonymity integer not null default 10 check (k_anonymity >= 3),
  updated_at timestamptz not null default now()
);
insert into analytics.config (id) values (true) on conflict do nothing;
alter table analytics.config enable row level security;
revoke all on analytics.config from public;

-- Raises unless the caller's role (re-read from profiles, never from claims) is staff/admin.
create or replace function analytics._require_staff(p_admin_only boolean default false)
returns uuid
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_role text;
begin
  select p.role into v_role from public.profiles p where p.user_id = v_user;
  if v_role is null or v_role not in ('staff', 'admin') or (p_admin_only and v_role <> 'admin') then
    raise exception '% role required', case when p_admin_only then 'admin' else 'staff or admin' end
      using errcode = 'insufficient_privilege';
  end if;
  return v_user;
end
$$;

-- The k in force: the configured floor, raised (never lowered) by the caller's argument.
create or replace function analytics._k(p_k integer) returns integer
language sql stable security definer set search_path = ''
as $$
  select greatest(coalesce((select c.k_anonymity from analytics.config c where c.id), 10),
                  coalesce(p_k, 0), 3)
$$;

-- Two significant figures: a distribution figure is not a member's amount to the cent.
create or replace function analytics._round_sig(x numeric, digits integer default 2) returns numeric
language sql immutable set search_path = ''
as $$
  select case when x is null then null when x = 0 then 0::numeric
              else round(x, greatest(digits - 1 - floor(log(abs(x)))::integer, -12)) end
$$;

-- An error message with everything that could come from a user's data masked: only the first
-- line; quoted, bracketed and parenthesised parts; and every token holding a digit, a capital
-- letter or a symbol (amounts, descriptions, ids, emails). The exception class stays.
create or replace function analytics._sanitize_error(p_error text) returns text
language plpgsql immutable set search_path = ''
as $$
declare
  v_line text := split_part(coalesce(p_error, ''), E'\n', 1);
  v_class text := '';
  v_msg text;
begin
  if v_line ~ '^[A-Za-z_][A-Za-z0-9_.]*(: |$)' then
    v_class := substring(v_line from '^([A-Za-z_][A-Za-z0-9_.]*)');
    v_msg := substring(v_line from length(v_class) + 1);
    v_msg := regexp_replace(v_msg, '^: ?', '');
  else
    v_msg := v_line;
  end if;
  v_msg := regexp_replace(v_msg, '''[^'']*''?', '''…''', 'g');
  v_msg := regexp_replace(v_msg, '"[^"]*"?', '"…"', 'g');
  v_msg := regexp_replace(v_msg, '`[^`]*`?', '`…`', 'g');
  v_msg := regexp_replace(v_msg, '\([^)]*\)?', '(…)', 'g');
  v_msg := regexp_replace(v_msg, '\[[^]]*\]?', '[…]', 'g');
  v_msg := regexp_replace(v_msg, '\{[^}]*\}?', '{…}', 'g');
  v_msg := regexp_replace(v_msg, '[^[:space:]]*[^[:lower:][:space:]_.,;:!?''"(){}…-][^[:space:]]*',
                          '…', 'g');
  v_msg := regexp_replace(v_msg, '…([[:space:]]*…)+', '…', 'g');
  return left(case when v_class = '' then v_msg
                   when v_msg = '' then v_class
                   else v_class || ': ' || v_msg end, 200);
end
$$;

revoke all on function analytics._require_staff(boolean), analytics._k(integer),
  analytics._round_sig(numeric, integer), analytics._sanitize_error(text) from public;

-- What the categorizer predicted and whether the user later changed it. Outcomes are known
-- for (1) applied predictions (category_source history/model/prior) nobody corrected, (2)
-- applied predictions the user later corrected or confirmed (the first correction records
-- what the model said), (3) review-queue items the user decided: the top suggestion vs the
-- user's choice. Rules are the user's own instructions and are left out; review items still
-- waiting have no outcome yet.
create or replace view analytics.prediction_outcomes as
with first_decision as (
  select distinct on (c.transaction_id) c.transaction_id, c.user_id, c.old_category_id,
         c.new_category_id, c.old_source, c.old_confidence
  from public.corrections c
  order by c.transaction_id, c.created_at, c.id
)
select t.user_id, t.created_at as predicted_at, c.name as category,
       t.category_confidence as confidence, false as corrected, 'applied'::text as kind
from public.transactions t
join public.categories c on c.id = t.category_id
where t.category_source in ('history', 'model', 'prior')
  and not exists (select 1 from public.corrections x where x.transaction_id = t.id)
union all
select f.user_id, t.created_at, c.name, f.old_confidence,
       f.old_category_id is distinct from f.new_category_id, 'applied'
from first_decision f
join public.transactions t on t.id = f.transaction_id
join public.categories c on c.id = f.old_category_id
where f.old_source in ('history', 'model', 'prior')
union all
select f.user_id, t.created_at, t.category_suggestions -> 0 ->> 'category',
       coalesce(f.old_confidence, (t.category_suggestions -> 0 ->> 'confidence')::real),
       (t.category_suggestions -> 0 ->> 'category') is distinct from n.name, 'review'
from first_decision f
join public.transactions t on t.id = f.transaction_id
left join public.categories n on n.id = f.new_category_id
where f.old_source is null and f.old_category_id is null
  and (t.category_suggestions -> 0 ->> 'category') is not null;
revoke all on analytics.prediction_outcomes from public;

-- ---------------------------------------------------------------------------------------
-- analytics: overview (each figure shown only when at least k users contribute to it)
-- ---------------------------------------------------------------------------------------
create or replace function analytics.overview(p_k integer default null)
returns table (users bigint, transactions bigint, import_batches bigint, accounts bigint,
               users_with_transactions bigint, active_users_30d bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare
  v_k integer;
  v_users bigint; v_tx bigint; v_tx_users bigint; v_b bigint; v_b_users bigint;
  v_a bigint; v_a_users bigint; v_active bigint;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  select count(*) into v_users from public.profiles;
  select count(*), count(distinct t.user_id) into v_tx, v_tx_users from public.transactions t;
  select count(*), count(distinct b.user_id) into v_b, v_b_users from public.import_batches b;
  select count(*), count(distinct a.user_id) into v_a, v_a_users from public.accounts a;
  select count(distinct l.user_id) into v_active from public.audit_log l
    where l.action = 'login' and l.created_at > now() - interval '30 days'
      and exists (select 1 from public.profiles p where p.user_id = l.user_id);
  return query select
    case when v_users >= v_k then v_users end,
    case when v_tx_users >= v_k then v_tx end,
    case when v_b_users >= v_k then v_b end,
    case when v_a_users >= v_k then v_a end,
    case when v_tx_users >= v_k then v_tx_users end,
    case when v_active >= v_k then v_active end;
end
$$;

-- The foundation's admin_overview now answers with the same k rule (null = suppressed).
create or replace function private.admin_overview()
returns table (users bigint, transactions bigint, import_batches bigint, accounts bigint)
language plpgsql stable security definer set search_path = ''
as $$
begin
  return query select o.users, o.transactions, o.import_batches, o.accounts
               from analytics.overview(null) o;
end
$$;

create or replace function analytics.k_anonymity() returns integer
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform analytics._require_staff();
  return analytics._k(null);
end
$$;

-- ---------------------------------------------------------------------------------------
-- analytics: model performance
-- ---------------------------------------------------------------------------------------
-- Share of predictions later corrected, per month of prediction.
create or replace function analytics.categorization_accuracy(p_from date default null,
  p_to date default null, p_k integer default null)
returns table (month date, predictions bigint, corrected bigint, accuracy double precision,
               users bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    select g.month, g.predictions, g.corrected, 1 - g.corrected::float8 / g.predictions, g.users
    from (select date_trunc('month', o.predicted_at)::date as month, count(*) as predictions,
                 count(*) filter (where o.corrected) as corrected,
                 count(distinct o.user_id) as users
          from analytics.prediction_outcomes o group by 1) g
    where g.users >= v_k
      and (p_from is null or g.month >= date_trunc('month', p_from)::date)
      and (p_to is null or g.month <= date_trunc('month', p_to)::date)
    order by g.month;
end
$$;

-- Share of predictions later corrected, per predicted category (all time).
create or replace function analytics.categorization_by_category(p_category text default null,
  p_k integer default null)
returns table (category text, predictions bigint, corrected bigint, corrected_share double precision,
               users bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    select g.category, g.predictions, g.corrected, g.corrected::float8 / g.predictions, g.users
    from (select o.category, count(*) as predictions,
                 count(*) filter (where o.corrected) as corrected,
                 count(distinct o.user_id) as users
          from analytics.prediction_outcomes o
          group by 1) g
    where g.users >= v_k and (p_category is null or lower(g.category) = lower(p_category))
    order by g.predictions desc, g.category;
end
$$;

-- Calibration: per confidence decile, the mean stated confidence and the observed accuracy.
create or replace function analytics.categorization_calibration(p_k integer default null)
returns table (bucket text, lower_bound double precision, predictions bigint, corrected bigint,
               mean_confidence double precision, accuracy double precision, users bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    select to_char(g.b / 10.0, 'FM0.0') || '–' || to_char((g.b + 1) / 10.0, 'FM0.0'),
           g.b / 10.0::float8, g.predictions, g.corrected, g.mean_conf,
           1 - g.corrected::float8 / g.predictions, g.users
    from (select least(floor(o.confidence * 10), 9)::integer as b, count(*) as predictions,
                 count(*) filter (where o.corrected) as corrected,
                 avg(o.confidence)::float8 as mean_conf, count(distinct o.user_id) as users
          from analytics.prediction_outcomes o where o.confidence is not null
          group by 1) g
    where g.users >= v_k
    order by g.b;
end
$$;

-- The review queue now: items waiting, users with items, share of all transactions.
create or replace function analytics.review_queue(p_k integer default null)
returns table (items bigint, users bigint, share_of_transactions double precision)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    select g.items, g.users, g.items::float8 / nullif(g.total, 0)
    from (select count(*) filter (where t.needs_review) as items,
                 count(distinct t.user_id) filter (where t.needs_review) as users,
                 count(*) as total
          from public.transactions t) g
    where g.users >= v_k;
end
$$;

-- User verdicts on anomalies per kind (and over all kinds): share expected vs suspicious.
create or replace function analytics.anomaly_verdicts(p_kind text default null,
  p_k integer default null)
returns table (kind text, verdicts bigint, expected bigint, suspicious bigint,
               expected_share double precision, users bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    select g.kind, g.verdicts, g.expected, g.verdicts - g.expected,
           g.expected::float8 / g.verdicts, g.users
    from (select coalesce(v.kind, 'unknown') as kind, count(*) as verdicts,
                 count(*) filter (where v.verdict = 'expected') as expected,
                 count(distinct v.user_id) as users
          from public.anomaly_verdicts v group by 1
          union all
          select '(all kinds)', count(*), count(*) filter (where v.verdict = 'expected'),
                 count(distinct v.user_id)
          from public.anomaly_verdicts v having count(*) > 0) g
    where g.users >= v_k and (p_kind is null or g.kind = p_kind)
    order by g.verdicts desc, g.kind;
end
$$;

-- Forecast error of the p50 and p10-p90 band coverage per month, against the actual net cash
-- flow in monthly_features. Needs public.forecasts with columns user_id, month, net_p10,
-- net_p50, net_p90 (the forecast migration); without them it returns no rows.
create or replace function analytics.forecast_accuracy(p_k integer default null)
returns table (month date, forecasts bigint, mae_p50 numeric, coverage_p10_p90 double precision,
               users bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  if (select count(*) from pg_catalog.pg_attribute a
      where a.attrelid = to_regclass('public.forecasts') and not a.attisdropped
         and a.attname in ('user_id', 'month', 'net_p10', 'net_p50', 'net_p90')) < 5 then
    return;
  end if;
  return query execute $q$
    select g.month, g.forecasts, analytics._round_sig(g.mae::numeric, 3), g.coverage, g.users
    from (select f.month::date as month, count(*) as forecasts,
                 avg(abs(m.net - f.net_p50::numeric)) as mae,
                 avg(case when m.net between f.net_p10::numeric and f.net_p90::numeric
                          then 1.0 else 0.0 end)::float8 as coverage,
                 count(distinct f.user_id) as users
          from public.forecasts f
          join public.monthly_features m on m.user_id = f.user_id and m.month = f.month::date
          where f.month::date < date_trunc('month', current_date)::date
          group by 1) g
    where g.users >= $1
    order by g.month$q$ using v_k;
end
$$;

-- ---------------------------------------------------------------------------------------
-- analytics: system health
-- ---------------------------------------------------------------------------------------
-- Per stage over the last p_days days: runs by status and durations (k distinct users).
create or replace function analytics.stage_health(p_days integer default 7, p_k integer default null)
returns table (stage text, runs bigint, succeeded bigint, failed bigint, running bigint,
               users bigint, p50_seconds double precision, p95_seconds double precision,
               last_success timestamptz, last_failure timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    select g.* from (
      select r.stage, count(*) as runs,
             count(*) filter (where r.status = 'succeeded') as succeeded,
             count(*) filter (where r.status = 'failed') as failed,
             count(*) filter (where r.status = 'running') as running,
             count(distinct r.user_id) as users,
             percentile_cont(0.5) within group (order by extract(epoch from r.finished_at - r.started_at))
               filter (where r.finished_at is not null) as p50,
             percentile_cont(0.95) within group (order by extract(epoch from r.finished_at - r.started_at))
               filter (where r.finished_at is not null) as p95,
             max(r.finished_at) filter (where r.status = 'succeeded') as last_success,
             max(r.finished_at) filter (where r.status = 'failed') as last_failure
      from pipeline.job_runs r
      where r.started_at > now() - make_interval(days => least(greatest(coalesce(p_days, 7), 1), 366))
      group by r.stage) g
    where g.users >= v_k
    order by g.stage;
end
$$;

-- Runs per day, stage and status over the last p_days days (k distinct users per group).
create or replace function analytics.job_runs_daily(p_days integer default 14, p_k integer default null)
returns table (day date, stage text, status text, runs bigint, users bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    select g.* from (
      select r.started_at::date as day, r.stage, r.status, count(*) as runs,
             count(distinct r.user_id) as users
      from pipeline.job_runs r
      where r.started_at::date > current_date - least(greatest(coalesce(p_days, 14), 1), 366)
      group by 1, 2, 3) g
    where g.users >= v_k
    order by g.day, g.stage, g.status;
end
$$;

-- Failures grouped by stage and sanitized message (the one health view shown below k: the
-- message has every user-derived token masked and no user is named; the number of users
-- affected is shown only from k).
create or replace function analytics.job_failures(p_days integer default 7, p_k integer default null)
returns table (stage text, error text, failures bigint, users bigint, first_seen timestamptz,
               last_seen timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    select g.stage, g.error, g.failures, case when g.users >= v_k then g.users end,
           g.first_seen, g.last_seen
    from (select r.stage, analytics._sanitize_error(r.error) as error, count(*) as failures,
                 count(distinct r.user_id) as users, min(r.started_at) as first_seen,
                 max(r.started_at) as last_seen
          from pipeline.job_runs r
          where r.status = 'failed'
            and r.started_at > now() - make_interval(days => least(greatest(coalesce(p_days, 7), 1), 366))
          group by 1, 2) g
    order by g.last_seen desc;
end
$$;

-- Queue depth of the procrastinate queue by queue and status (no user data; empty before the
-- queue schema is installed).
create or replace function analytics.queue_depth()
returns table (queue text, status text, jobs bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
begin
  perform analytics._require_staff();
  if to_regclass('procrastinate.procrastinate_jobs') is null then
    return;
  end if;
  return query execute
    'select j.queue_name::text, j.status::text, count(*) from procrastinate.procrastinate_jobs j'
    ' group by 1, 2 order by 1, 2';
end
$$;

create or replace function analytics.database_size()
returns table (database_bytes bigint, database_pretty text, connections integer)
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform analytics._require_staff();
  return query select pg_catalog.pg_database_size(pg_catalog.current_database()),
                      pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(pg_catalog.current_database())),
                      (select count(*)::integer from pg_catalog.pg_stat_activity s
                       where s.datname = pg_catalog.current_database());
end
$$;

-- ---------------------------------------------------------------------------------------
-- analytics: spend trends and operational analytics across users
-- ---------------------------------------------------------------------------------------
-- Money out per month x top-level category x currency: users, transactions, total, mean per
-- user and per-user quartiles (two significant figures). No min/max (a single user's value).
create or replace function analytics.spend_by_category_month(p_from date default null,
  p_to date default null, p_category text default null, p_k integer default null)
returns table (month date, category text, currency text, users bigint, transactions bigint,
               total numeric, mean_per_user numeric, p25_per_user numeric,
               median_per_user numeric, p75_per_user numeric)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    with per_user as (
      select date_trunc('month', t.date)::date as month,
             coalesce(p.name, c.name, 'Uncategorized') as category,
             t.currency::text as currency, t.user_id, count(*) as n, -sum(t.amount) as spent
      from public.transactions t
      left join public.categories c on c.id = t.category_id
      left join public.categories p on p.id = c.parent_id
      where t.amount < 0 and not t.is_transfer and not t.excluded
      group by 1, 2, 3, 4
    ), g as (
      select u.month, u.category, u.currency, count(*) as users, sum(u.n)::bigint as transactions,
             sum(u.spent) as total,
             percentile_cont(0.25) within group (order by u.spent) as p25,
             percentile_cont(0.5) within group (order by u.spent) as p50,
             percentile_cont(0.75) within group (order by u.spent) as p75
      from per_user u group by 1, 2, 3
    )
    select g.month, g.category, g.currency, g.users, g.transactions, g.total,
           round(g.total / g.users, 2), analytics._round_sig(g.p25::numeric),
           analytics._round_sig(g.p50::numeric), analytics._round_sig(g.p75::numeric)
    from g
    where g.users >= v_k
      and (p_from is null or g.month >= date_trunc('month', p_from)::date)
      and (p_to is null or g.month <= date_trunc('month', p_to)::date)
      and (p_category is null or lower(g.category) = lower(p_category))
    order by g.month, g.total desc;
end
$$;

-- Users per month: registered by the month's end, signed in, imported a statement, had
-- transactions dated in the month. Each count only from k.
create or replace function analytics.active_users(p_from date default null, p_to date default null,
  p_k integer default null)
returns table (month date, registered bigint, signed_in bigint, importing bigint,
               with_transactions bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    with tx as (
      select date_trunc('month', t.date)::date as month, count(distinct t.user_id) as n
      from public.transactions t group by 1
    ), li as (
      select date_trunc('month', l.created_at)::date as month, count(distinct l.user_id) as n
      from public.audit_log l
      where l.action = 'login' and exists (select 1 from public.profiles p where p.user_id = l.user_id)
      group by 1
    ), im as (
      select date_trunc('month', b.created_at)::date as month, count(distinct b.user_id) as n
      from public.import_batches b group by 1
    ), months as (
      select tx.month from tx union select li.month from li union select im.month from im
    ), g as (
      select m.month,
        (select count(*) from public.profiles p
          where p.created_at < (m.month + interval '1 month')) as registered,
        coalesce(li.n, 0) as signed_in, coalesce(im.n, 0) as importing, coalesce(tx.n, 0) as with_tx
      from months m
      left join tx on tx.month = m.month
      left join li on li.month = m.month
      left join im on im.month = m.month
      where (p_from is null or m.month >= date_trunc('month', p_from)::date)
        and (p_to is null or m.month <= date_trunc('month', p_to)::date)
    )
    select g.month, case when g.registered >= v_k then g.registered end,
           case when g.signed_in >= v_k then g.signed_in end,
           case when g.importing >= v_k then g.importing end,
           case when g.with_tx >= v_k then g.with_tx end
    from g
    where greatest(g.registered, g.signed_in, g.importing, g.with_tx) >= v_k
    order by g.month;
end
$$;

-- Per day of the last p_days days: statement imports and transactions added (any route).
create or replace function analytics.imports_per_day(p_days integer default 30, p_k integer default null)
returns table (day date, imports bigint, transactions_added bigint, users bigint)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare v_k integer;
begin
  perform analytics._require_staff();
  v_k := analytics._k(p_k);
  return query
    with ev as (
      select b.created_at::date as day, b.user_id, 1 as imports, 0 as added
      from public.import_batches b
      where b.created_at::date > current_date - least(greatest(coalesce(p_days, 30), 1), 366)
      union all
      select t.created_at::date, t.user_id, 0, 1 from public.transactions t
      where t.created_at::date > current_date - least(greatest(coalesce(p_days, 30), 1), 366)
    )
    select g.* from (
      select ev.day, sum(ev.imports)::bigint as imports, sum(ev.added)::bigint as transactions_added,
             count(distinct ev.user_id) as users
      from ev
      where ev.day > current_date - least(greatest(coalesce(p_days, 30), 1), 366)
      group by 1) g
    where g.users >= v_k
    order by g.day;
end
$$;

-- ---------------------------------------------------------------------------------------
-- analytics: role management (admins only, audited)
-- ---------------------------------------------------------------------------------------
create or replace function analytics.set_user_role(p_email text, p_role text) returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_admin uuid;
  v_target uuid;
  v_old text;
begin
  v_admin := analytics._require_staff(true);
  if p_role is null or p_role not in ('user', 'staff', 'admin') then
    raise exception 'unknown role %', coalesce(p_role, 'null') using errcode = 'invalid_parameter_value';
  end if;
  select p.user_id, p.role into v_target, v_old from public.profiles p
    where lower(p.email) = lower(trim(p_email)) for update;
  if v_target is null then
    raise exception 'no user with that email' using errcode = 'no_data_found';
  end if;
  if v_old = p_role then
    return v_old;
  end if;
  if v_old = 'admin' and (select count(*) from public.profiles p where p.role = 'admin') <= 1 then
    raise exception 'cannot remove the last admin' using errcode = 'check_violation';
  end if;
  update public.profiles set role = p_role where user_id = v_target;
  insert into public.audit_log (user_id, actor_id, action, detail)
  values (v_target, v_admin, 'role_changed', jsonb_build_object('from', v_old, 'to', p_role, 'by', 'admin'));
  return v_old;
end
$$;

-- Accounts holding staff/admin roles (admins only: who may see the analytics).
create or replace function analytics.privileged_users()
returns table (email text, display_name text, role text, created_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
begin
  perform analytics._require_staff(true);
  return query select p.email, p.display_name, p.role, p.created_at from public.profiles p
               where p.role in ('staff', 'admin') order by p.role, p.email;
end
$$;

do $$
declare f record;
begin
  for f in select p.oid::regprocedure as sig from pg_catalog.pg_proc p
           join pg_catalog.pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'analytics' and p.proname not like '\_%'
  loop
    execute format('revoke all on function %s from public', f.sig);
    execute format('grant execute on function %s to authenticated', f.sig);
  end loop;
end
$$;

-- ---------------------------------------------------------------------------------------
-- account deletion
-- ---------------------------------------------------------------------------------------
-- A row here, written in the same transaction, is the only thing that lets a DELETE through
-- the audit log's append-only trigger; only private.delete_my_account writes it (no grants).
create table private.audit_erasures (
  user_id uuid not null,
  xact xid8 not null default pg_catalog.pg_current_xact_id(),
  created_at timestamptz not null default now(),
  primary key (user_id, xact)
);
alter table private.audit_erasures enable row level security;
revoke all on private.audit_erasures from public;

create or replace function private.audit_log_is_append_only() returns trigger
language plpgsql set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and exists (
       select 1 from private.audit_erasures e
       where e.user_id = old.user_id and e.xact = pg_catalog.pg_current_xact_id()) then
    return old;  -- erasure of a deleted account's own entries (private.delete_my_account)
  end if;
  raise exception 'audit_log is append-only (% rejected)', tg_op
    using errcode = 'insufficient_privilege';
end
$$;

-- Schemas whose tables hold per-user rows; every table in them with a user_id column is wiped.
create or replace function private.user_data_schemas() returns text[]
language sql immutable set search_path = ''
as $$ select array['public', 'private', 'pipeline', 'analytics'] $$;

-- Queued (not yet started) work units of a user; procrastinate's own triggers need its schema
-- on the search path.
create or replace function private.drop_queued_jobs(p_user uuid) returns bigint
language plpgsql volatile security definer set search_path = procrastinate, pg_catalog
as $$
declare v_n bigint := 0;
begin
  if to_regclass('procrastinate.procrastinate_jobs') is not null then
    execute 'delete from procrastinate.procrastinate_jobs where status = ''todo'''
            ' and args ->> ''user_id'' = $1' using p_user::text;
    get diagnostics v_n = row_count;
  end if;
  return v_n;
end
$$;

-- Delete the caller's account: p_confirmation must be the account's email address.
create or replace function private.delete_my_account(p_confirmation text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_email text;
  v_role text;
  v_key boolean;
  v_rows bigint := 0;
  v_tables integer := 0;
  v_n bigint;
  r record;
begin
  if v_user is null then
    raise exception 'not signed in' using errcode = 'insufficient_privilege';
  end if;
  select p.email, p.role into v_email, v_role from public.profiles p where p.user_id = v_user for update;
  if v_email is null then
    raise exception 'no such account' using errcode = 'no_data_found';
  end if;
  if p_confirmation is null or lower(trim(p_confirmation)) <> lower(v_email) then
    raise exception 'the confirmation does not match the account''s email address'
      using errcode = 'invalid_parameter_value';
  end if;
  if v_role = 'admin' and (select count(*) from public.profiles p where p.role = 'admin') <= 1 then
    raise exception 'the last admin cannot delete their account; make someone else admin first'
      using errcode = 'check_violation';
  end if;
  v_key := exists (select 1 from public.user_keys k where k.user_id = v_user);
  perform private.drop_queued_jobs(v_user);
  -- transactions first, while the account exists (their triggers write pipeline markers)
  delete from public.transactions t where t.user_id = v_user;
  get diagnostics v_n = row_count;
  v_rows := v_rows + v_n;
  for r in
    select n.nspname, c.relname
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped
    where c.relkind in ('r', 'p') and n.nspname = any (private.user_data_schemas())
      and not (n.nspname = 'public' and c.relname = 'audit_log')
    order by n.nspname = 'public' and c.relname = 'profiles', n.nspname, c.relname
  loop
    execute format('delete from %I.%I where user_id = $1', r.nspname, r.relname) using v_user;
    get diagnostics v_n = row_count;
    v_rows := v_rows + v_n;
    if v_n > 0 then
      v_tables := v_tables + 1;
    end if;
  end loop;
  -- the user's own audit entries (authorised for this transaction only)
  insert into private.audit_erasures (user_id) values (v_user);
  delete from public.audit_log l where l.user_id = v_user;
  delete from private.audit_erasures e where e.user_id = v_user;
  -- Supabase Auth's own log (when present) names the user by email
  if to_regclass('auth.audit_log_entries') is not null then
    begin
      execute 'delete from auth.audit_log_entries where payload ->> ''actor_id'' = $1' using v_user::text;
    exception when insufficient_privilege then
      raise warning 'auth.audit_log_entries not cleared (no privilege)';
    end;
  end if;
  delete from auth.users u where u.id = v_user;
  insert into public.audit_log (user_id, actor_id, action, detail)
  values (v_user, null, 'account_deleted',
          jsonb_build_object('rows_deleted', v_rows, 'tables', v_tables, 'key_destroyed', v_key));
  return jsonb_build_object('rows_deleted', v_rows, 'tables', v_tables, 'key_destroyed', v_key);
end
$$;
revoke all on function private.user_data_schemas(), private.drop_queued_jobs(uuid),
  private.delete_my_account(text) from public;
grant execute on function private.delete_my_account(text) to authenticated;
