-- Foundation: roles, profiles, accounts, categories, import batches, transactions, rules,
-- corrections, per-user data keys and the append-only audit log; RLS on every table.
--
-- Roles (cluster-wide, created only if missing):
--   pfm_app         LOGIN NOINHERIT: the Streamlit process. Can only become `authenticated`
--                   (or `anon`) per transaction, and call the login functions in `private`.
--   pfm_jobs        LOGIN NOINHERIT: the job process. Can become `authenticated` for per-user
--                   work and `pfm_job_worker` for cross-user bookkeeping.
--   pfm_job_worker  NOLOGIN: what the job process may touch across users (later migrations).

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'pfm_app') then
    create role pfm_app login noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'pfm_jobs') then
    create role pfm_jobs login noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'pfm_job_worker') then
    create role pfm_job_worker nologin noinherit;
  end if;
end
$$;

grant authenticated to pfm_app;
grant anon to pfm_app;
grant authenticated to pfm_jobs;
grant pfm_job_worker to pfm_jobs;


create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to pfm_app, pfm_jobs, authenticated, pfm_job_worker;
grant usage on schema public to anon, authenticated, pfm_job_worker;

-- ---------------------------------------------------------------------------------------
-- profiles: one per auth user; the role column is changed only by admins (issue 7 function)
-- ---------------------------------------------------------------------------------------
create table public.profiles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  display_name text not null default '',
  role text not null default 'user' check (role in ('user', 'staff', 'admin')),
  base_currency char(3) not null default 'EUR' check (base_currency ~ '^[A-Z]{3}$'),
  auto_apply_threshold real check (auto_apply_threshold between 0 and 1),
  balance_buffer numeric(14, 2) not null default 500,
  created_at timestamptz not null default now()
);
alter table public.profiles enable row level security;
create policy profiles_select on public.profiles for select to authenticated
  using ((select auth.uid()) = user_id);
create policy profiles_update on public.profiles for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
-- no insert/delete policies: rows come from the auth.users trigger and leave by cascade.
revoke all on public.profiles from anon, authenticated;
grant select on public.profiles to authenticated;
grant update (display_name, base_currency, auto_apply_threshold, balance_buffer)
  on public.profiles to authenticated;

-- ---------------------------------------------------------------------------------------
-- accounts
-- ---------------------------------------------------------------------------------------
create table public.accounts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (length(trim(name)) between 1 and 120),
  kind text not null default 'checking'
    check (kind in ('checking', 'savings', 'credit', 'cash', 'investment', 'loan')),
  currency char(3) not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
  institution text,
  account_number_enc bytea,
  opening_balance numeric(14, 2) not null default 0,
  created_at timestamptz not null default now(),
  unique (user_id, name)
);
create index accounts_user_id_idx on public.accounts (user_id);
alter table public.accounts enable row level security;
create policy accounts_select on public.accounts for select to authenticated
  using ((select auth.uid()) = user_id);
create policy accounts_insert on public.accounts for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy accounts_update on public.accounts for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy accounts_delete on public.accounts for delete to authenticated
  using ((select auth.uid()) = user_id);

-- ---------------------------------------------------------------------------------------
-- categories: two levels (parent_id null = top level)
-- ---------------------------------------------------------------------------------------
create table public.categories (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  parent_id uuid references public.categories (id) on delete cascade,
  name text not null check (length(trim(name)) between 1 and 80),
  kind text not null default 'expense' check (kind in ('expense', 'income', 'transfer')),
  is_essential boolean not null default false,
  created_at timestamptz not null default now()
);
create unique index categories_user_parent_name_key on public.categories
  (user_id, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));
create index categories_user_id_idx on public.categories (user_id);
create index categories_parent_id_idx on public.categories (parent_id);
alter table public.categories enable row level security;
create policy categories_select on public.categories for select to authenticated
  using ((select auth.uid()) = user_id);
create policy categories_insert on public.categories for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy categories_update on public.categories for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy categories_delete on public.categories for delete to authenticated
  using ((select auth.uid()) = user_id);

-- ---------------------------------------------------------------------------------------
-- import_batches
-- ---------------------------------------------------------------------------------------
create table public.import_batches (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  account_id uuid references public.accounts (id) on delete cascade,
  filename text not null,
  file_format text not null,
  file_sha256 text,
  status text not null default 'completed' check (status in ('completed', 'undone')),
  n_imported integer not null default 0,
  n_duplicates integer not null default 0,
  n_possible_duplicates integer not null default 0,
  n_rejected integer not null default 0,
  rejected jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now(),
  undone_at timestamptz
);
create index import_batches_user_id_idx on public.import_batches (user_id, created_at desc);
create index import_batches_account_id_idx on public.import_batches (account_id);
alter table public.import_batches enable row level security;
create policy import_batches_select on public.import_batches for select to authenticated
  using ((select auth.uid()) = user_id);
create policy import_batches_insert on public.import_batches for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy import_batches_update on public.import_batches for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy import_batches_delete on public.import_batches for delete to authenticated
  using ((select auth.uid()) = user_id);

-- ---------------------------------------------------------------------------------------
-- transactions: amount signed, negative = money out
-- ---------------------------------------------------------------------------------------
create table public.transactions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  account_id uuid not null references public.accounts (id) on delete cascade,
  batch_id uuid references public.import_batches (id) on delete cascade,
  date date not null,
  amount numeric(14, 2) not null,
  currency char(3) not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
  description text not null default '',
  payee text,
  merchant text,
  external_id text,
  balance numeric(14, 2),
  pending boolean not null default false,
  category_id uuid references public.categories (id) on delete set null,
  category_source text check (category_source in ('user', 'rule', 'history', 'model', 'prior')),
  category_confidence real check (category_confidence between 0 and 1),
  category_explanation text,
  needs_review boolean not null default false,
  is_transfer boolean not null default false,
  transfer_pair_id uuid references public.transactions (id) on delete set null,
  excluded boolean not null default false,
  tags text[] not null default '{}',
  notes_enc bytea,
  raw_enc bytea,
  dedupe_key text not null,
  possible_duplicate_of uuid references public.transactions (id) on delete set null,
  duplicate_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, account_id, dedupe_key)
);
create index transactions_user_date_idx on public.transactions (user_id, date desc);
create index transactions_user_category_idx on public.transactions (user_id, category_id);
create index transactions_user_merchant_idx on public.transactions (user_id, merchant);
create index transactions_account_idx on public.transactions (account_id, date);
create index transactions_batch_idx on public.transactions (batch_id);
create index transactions_review_idx on public.transactions (user_id) where needs_review;
create index transactions_fts_idx on public.transactions using gin
  (to_tsvector('simple', description || ' ' || coalesce(merchant, '') || ' ' || coalesce(payee, '')));
alter table public.transactions enable row level security;
create policy transactions_select on public.transactions for select to authenticated
  using ((select auth.uid()) = user_id);
create policy transactions_insert on public.transactions for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy transactions_update on public.transactions for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy transactions_delete on public.transactions for delete to authenticated
  using ((select auth.uid()) = user_id);

create or replace function private.touch_updated_at() returns trigger
language plpgsql set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
create trigger transactions_touch before update on public.transactions
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------------------
-- rules: conditions/actions as JSON (see core.rules)
-- ---------------------------------------------------------------------------------------
create table public.rules (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null,
  priority integer not null default 100,
  match_mode text not null default 'all' check (match_mode in ('all', 'any')),
  conditions jsonb not null default '[]'::jsonb,
  actions jsonb not null default '[]'::jsonb,
  enabled boolean not null default true,
  created_at timestamptz not null default now()
);
create index rules_user_id_idx on public.rules (user_id, priority);
alter table public.rules enable row level security;
create policy rules_select on public.rules for select to authenticated
  using ((select auth.uid()) = user_id);
create policy rules_insert on public.rules for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy rules_update on public.rules for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy rules_delete on public.rules for delete to authenticated
  using ((select auth.uid()) = user_id);

-- ---------------------------------------------------------------------------------------
-- corrections: what the user changed, the training signal for the categorizer
-- ---------------------------------------------------------------------------------------
create table public.corrections (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  transaction_id uuid not null references public.transactions (id) on delete cascade,
  old_category_id uuid references public.categories (id) on delete set null,
  new_category_id uuid references public.categories (id) on delete set null,
  old_source text,
  old_confidence real,
  source text not null default 'table' check (source in ('table', 'review', 'bulk', 'rule')),
  created_at timestamptz not null default now()
);
create index corrections_user_id_idx on public.corrections (user_id, created_at desc);
create index corrections_transaction_idx on public.corrections (transaction_id);
alter table public.corrections enable row level security;
create policy corrections_select on public.corrections for select to authenticated
  using ((select auth.uid()) = user_id);
create policy corrections_insert on public.corrections for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy corrections_update on public.corrections for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy corrections_delete on public.corrections for delete to authenticated
  using ((select auth.uid()) = user_id);

-- ---------------------------------------------------------------------------------------
-- user_keys: per-user data key wrapped by the master key (core.crypto); never plaintext
-- ---------------------------------------------------------------------------------------
create table public.user_keys (
  user_id uuid primary key default auth.uid() references auth.users (id) on delete cascade,
  wrapped_key bytea not null,
  master_key_id text not null,
  created_at timestamptz not null default now(),
  rotated_at timestamptz
);
alter table public.user_keys enable row level security;
create policy user_keys_select on public.user_keys for select to authenticated
  using ((select auth.uid()) = user_id);
create policy user_keys_insert on public.user_keys for insert to authenticated
  with check ((select auth.uid()) = user_id);
-- no update/delete for app roles: rotation re-wraps as the owner (python -m app rotate-key);
-- key destruction happens with the account (cascade).
revoke all on public.user_keys from anon, authenticated;
grant select, insert on public.user_keys to authenticated;

-- ---------------------------------------------------------------------------------------
-- audit_log: append-only for every app role
-- ---------------------------------------------------------------------------------------
create table public.audit_log (
  id bigint generated always as identity primary key,
  user_id uuid,
  actor_id uuid,
  action text not null,
  detail jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index audit_log_user_id_idx on public.audit_log (user_id, created_at desc);
alter table public.audit_log enable row level security;
create policy audit_log_select on public.audit_log for select to authenticated
  using ((select auth.uid()) = user_id);
create policy audit_log_insert on public.audit_log for insert to authenticated
  with check ((select auth.uid()) = user_id and (select auth.uid()) = actor_id);
revoke all on public.audit_log from anon, authenticated;
grant select, insert on public.audit_log to authenticated;

create or replace function private.audit_log_is_append_only() returns trigger
language plpgsql set search_path = ''
as $$
begin
  raise exception 'audit_log is append-only (% rejected)', tg_op
    using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_append_only before update or delete on public.audit_log
  for each row execute function private.audit_log_is_append_only();
create trigger audit_log_no_truncate before truncate on public.audit_log
  for each statement execute function private.audit_log_is_append_only();

-- ---------------------------------------------------------------------------------------
-- grants for the authenticated role on the ordinary per-user tables
-- ---------------------------------------------------------------------------------------
revoke all on public.accounts, public.categories, public.import_batches, public.transactions,
  public.rules, public.corrections from anon;
grant select, insert, update, delete on public.accounts, public.categories,
  public.import_batches, public.transactions, public.rules, public.corrections to authenticated;

-- ---------------------------------------------------------------------------------------
-- new users: profile + default two-level taxonomy
-- ---------------------------------------------------------------------------------------
create or replace function private.seed_default_categories(p_user uuid) returns void
language plpgsql security definer set search_path = ''
as $$
declare
  r record;
  parent uuid;
begin
  for r in
    select * from (values
      ('Income', 'income', false, array['Salary', 'Interest & Dividends', 'Refunds', 'Other Income']),
      ('Housing', 'expense', true, array['Rent & Mortgage', 'Utilities', 'Home Insurance', 'Home Maintenance']),
      ('Food', 'expense', true, array['Groceries', 'Restaurants', 'Coffee & Snacks', 'Takeaway & Delivery']),
      ('Transport', 'expense', true, array['Fuel', 'Public Transport', 'Taxi & Rideshare', 'Car Maintenance', 'Parking & Tolls']),
      ('Bills & Subscriptions', 'expense', false, array['Phone & Internet', 'Streaming', 'Software', 'Memberships']),
      ('Shopping', 'expense', false, array['Clothing', 'Electronics', 'Household', 'Online Shopping']),
      ('Health', 'expense', true, array['Pharmacy', 'Doctor & Dentist', 'Health Insurance', 'Fitness']),
      ('Entertainment', 'expense', false, array['Events & Culture', 'Hobbies', 'Games']),
      ('Travel', 'expense', false, array['Flights', 'Accommodation', 'Holiday Activities']),
      ('Education', 'expense', false, array['Tuition', 'Books & Courses']),
      ('Personal Care', 'expense', false, array['Hair & Beauty']),
      ('Family', 'expense', true, array['Childcare', 'Kids Activities', 'Pets']),
      ('Gifts & Donations', 'expense', false, array['Gifts', 'Charity']),
      ('Fees & Charges', 'expense', false, array['Bank Fees', 'Interest Charges']),
      ('Cash', 'expense', false, array['ATM Withdrawal']),
      ('Taxes', 'expense', true, array['Income Tax', 'Other Taxes']),
      ('Loans', 'expense', true, array['Loan Repayment']),
      ('Transfers', 'transfer', false, array['Between Accounts', 'Credit Card Payment', 'Savings & Investments'])
    ) as t(name, kind, essential, children)
  loop
    insert into public.categories (user_id, name, kind, is_essential)
    values (p_user, r.name, r.kind, r.essential)
    on conflict do nothing
    returning id into parent;
    if parent is null then
      select id into parent from public.categories
        where user_id = p_user and parent_id is null and lower(name) = lower(r.name);
    end if;
    insert into public.categories (user_id, parent_id, name, kind, is_essential)
    select p_user, parent, c, r.kind,
           r.essential and c not in ('Restaurants', 'Coffee & Snacks', 'Takeaway & Delivery',
                                     'Taxi & Rideshare', 'Kids Activities')
    from unnest(r.children) as c
    on conflict do nothing;
  end loop;
end
$$;
revoke all on function private.seed_default_categories(uuid) from public;

create or replace function private.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.profiles (user_id, email, display_name)
  values (new.id, coalesce(new.email, ''),
          coalesce(new.raw_user_meta_data ->> 'display_name', split_part(coalesce(new.email, ''), '@', 1)))
  on conflict (user_id) do nothing;
  perform private.seed_default_categories(new.id);
  return new;
end
$$;
revoke all on function private.handle_new_user() from public;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.handle_new_user();

-- ---------------------------------------------------------------------------------------
-- local login (auth backend "local"): credentials live in private, reached only through
-- these security definer functions, executable only by the app's login role.
-- ---------------------------------------------------------------------------------------
create table private.local_credentials (
  user_id uuid primary key references auth.users (id) on delete cascade,
  email text not null unique,
  password_hash text not null,
  failed_attempts integer not null default 0,
  locked_until timestamptz,
  updated_at timestamptz not null default now()
);
alter table private.local_credentials enable row level security;
revoke all on private.local_credentials from public;

create or replace function private.local_signup(p_email text, p_password_hash text, p_display_name text)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  new_id uuid := gen_random_uuid();
  v_email text := lower(trim(p_email));
begin
  if exists (select 1 from auth.users where lower(email) = v_email) then
    raise exception 'an account with this email already exists' using errcode = 'unique_violation';
  end if;
  insert into auth.users (id, email, raw_user_meta_data, email_confirmed_at)
  values (new_id, v_email, jsonb_build_object('display_name', p_display_name), now());
  insert into private.local_credentials (user_id, email, password_hash)
  values (new_id, v_email, p_password_hash);
  insert into public.audit_log (user_id, actor_id, action, detail)
  values (new_id, new_id, 'signup', '{}'::jsonb);
  return new_id;
end
$$;

-- Returns the hash only while the account is not locked; the caller verifies it.
create or replace function private.local_login_lookup(p_email text)
returns table (user_id uuid, password_hash text, locked_until timestamptz, role text)
language sql security definer set search_path = ''
as $$
  select c.user_id,
         case when c.locked_until is null or c.locked_until <= now() then c.password_hash end,
         case when c.locked_until > now() then c.locked_until end,
         p.role
  from private.local_credentials c
  join public.profiles p on p.user_id = c.user_id
  where c.email = lower(trim(p_email))
$$;

create or replace function private.local_login_result(p_email text, p_success boolean)
returns timestamptz
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid;
  v_locked timestamptz;
  v_failed integer;
begin
  select user_id into v_user from private.local_credentials where email = lower(trim(p_email));
  if v_user is null then
    insert into public.audit_log (user_id, actor_id, action, detail)
    values (null, null, 'login_failed', jsonb_build_object('reason', 'unknown account'));
    return null;
  end if;
  if p_success then
    update private.local_credentials
       set failed_attempts = 0, locked_until = null, updated_at = now()
     where user_id = v_user;
    update auth.users set last_sign_in_at = now() where id = v_user;
    insert into public.audit_log (user_id, actor_id, action) values (v_user, v_user, 'login');
    return null;
  end if;
  update private.local_credentials
     set failed_attempts = failed_attempts + 1,
         locked_until = case when failed_attempts + 1 >= 5 then now() + interval '15 minutes'
                             else locked_until end,
         updated_at = now()
   where user_id = v_user
  returning failed_attempts, locked_until into v_failed, v_locked;
  if v_failed >= 5 then
    update private.local_credentials set failed_attempts = 0 where user_id = v_user;
  end if;
  insert into public.audit_log (user_id, actor_id, action, detail)
  values (v_user, null, 'login_failed',
          jsonb_build_object('attempt', v_failed, 'locked', v_locked is not null and v_locked > now()));
  return case when v_locked > now() then v_locked end;
end
$$;

create or replace function private.local_set_password(p_user uuid, p_password_hash text)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  update private.local_credentials
     set password_hash = p_password_hash, failed_attempts = 0, locked_until = null,
         updated_at = now()
   where user_id = p_user;
  insert into public.audit_log (user_id, actor_id, action) values (p_user, p_user, 'password_changed');
end
$$;

-- Claims for a signed-in local user (role comes from the database, never from the client).
create or replace function private.user_claims(p_user uuid)
returns jsonb
language sql security definer set search_path = ''
as $$
  select jsonb_build_object('sub', p.user_id, 'email', p.email, 'role', 'authenticated',
                            'app_role', p.role, 'display_name', p.display_name)
  from public.profiles p where p.user_id = p_user
$$;

revoke all on function private.local_signup(text, text, text), private.local_login_lookup(text),
  private.local_login_result(text, boolean), private.local_set_password(uuid, text),
  private.user_claims(uuid) from public;
grant execute on function private.local_signup(text, text, text), private.local_login_lookup(text),
  private.local_login_result(text, boolean), private.local_set_password(uuid, text),
  private.user_claims(uuid) to pfm_app;

-- A signed-in user's own role, for navigation (is this user staff/admin?).
create or replace function public.my_role() returns text
language sql stable security definer set search_path = ''
as $$
  select role from public.profiles where user_id = (select auth.uid())
$$;
revoke all on function public.my_role() from public;
grant execute on function public.my_role() to authenticated;

-- Aggregates only: how many users, transactions and imports exist. Staff/admin only.
create or replace function private.admin_overview()
returns table (users bigint, transactions bigint, import_batches bigint, accounts bigint)
language plpgsql stable security definer set search_path = ''
as $$
begin
  if coalesce((select role from public.profiles where user_id = (select auth.uid())), 'user')
       not in ('staff', 'admin') then
    raise exception 'staff or admin role required' using errcode = 'insufficient_privilege';
  end if;
  return query
    select (select count(*) from public.profiles),
           (select count(*) from public.transactions),
           (select count(*) from public.import_batches),
           (select count(*) from public.accounts);
end
$$;
revoke all on function private.admin_overview() from public;
grant execute on function private.admin_overview() to authenticated;
