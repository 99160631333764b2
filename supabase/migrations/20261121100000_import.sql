-- Statement import (issue 3): remembered column mappings, split transactions, per-user
-- secrets (the key of the notes blind index), duplicate aliases, the notes blind index
-- itself, and batch bookkeeping. See core/importer.py, core/dedupe.py, core/rules.py and
-- core/transactions_service.py.
--
-- Notes stay encrypted (transactions.notes_enc, AES-GCM with the user's data key). To search
-- them without decrypting every row, each note also stores a blind index: HMAC-SHA256 of
-- every word (and of each word's prefixes of 3+ characters) under a per-user search key,
-- truncated, in transactions.notes_terms. The search key is random, stored only encrypted
-- with the user's data key in user_secrets (name 'notes_search').

-- ---------------------------------------------------------------------------------------
-- transactions: duplicate aliases and the notes blind index
-- ---------------------------------------------------------------------------------------
-- dedupe_aliases: dedupe keys of rows the user deleted as duplicates of this one, so that
-- re-importing the file they came from does not bring them back.
alter table public.transactions
  add column if not exists dedupe_aliases text[] not null default '{}',
  add column if not exists notes_terms text[] not null default '{}';
create index if not exists transactions_notes_terms_idx on public.transactions
  using gin (notes_terms) where notes_terms <> '{}';
create index if not exists transactions_possible_dup_idx on public.transactions (user_id)
  where possible_duplicate_of is not null;

-- ---------------------------------------------------------------------------------------
-- import_batches: what else an import reports
-- ---------------------------------------------------------------------------------------
alter table public.import_batches
  add column if not exists n_transfers integer not null default 0,
  add column if not exists n_rule_matches integer not null default 0,
  add column if not exists warnings jsonb not null default '[]'::jsonb,
  add column if not exists date_from date,
  add column if not exists date_to date;

-- ---------------------------------------------------------------------------------------
-- import_mappings: a confirmed CSV column mapping per account and file layout
-- ---------------------------------------------------------------------------------------
create table public.import_mappings (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  account_id uuid not null references public.accounts (id) on delete cascade,
  layout_signature text not null check (length(layout_signature) between 8 and 200),
  mapping jsonb not null default '{}'::jsonb check (jsonb_typeof(mapping) = 'object'),
  date_order text check (date_order in ('dmy', 'mdy')),
  columns text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, account_id, layout_signature)
);
create index import_mappings_user_id_idx on public.import_mappings (user_id);
create index import_mappings_account_id_idx on public.import_mappings (account_id);
alter table public.import_mappings enable row level security;
create policy import_mappings_select on public.import_mappings for select to authenticated
  using ((select auth.uid()) = user_id);
create policy import_mappings_insert on public.import_mappings for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy import_mappings_update on public.import_mappings for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy import_mappings_delete on public.import_mappings for delete to authenticated
  using ((select auth.uid()) = user_id);
create trigger import_mappings_touch before update on public.import_mappings
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------------------
-- transaction_splits: one transaction spread over several categories (parts sum to the
-- transaction's amount; checked by core.transactions_service.split_transaction)
-- ---------------------------------------------------------------------------------------
create table public.transaction_splits (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  transaction_id uuid not null references public.transactions (id) on delete cascade,
  category_id uuid references public.categories (id) on delete set null,
  amount numeric(14, 2) not null check (amount <> 0),
  memo text not null default '' check (length(memo) <= 500),
  position smallint not null default 0,
  created_at timestamptz not null default now()
);
create index transaction_splits_user_id_idx on public.transaction_splits (user_id);
create index transaction_splits_transaction_idx on public.transaction_splits (transaction_id, position);
create index transaction_splits_category_idx on public.transaction_splits (category_id);
alter table public.transaction_splits enable row level security;
create policy transaction_splits_select on public.transaction_splits for select to authenticated
  using ((select auth.uid()) = user_id);
create policy transaction_splits_insert on public.transaction_splits for insert to authenticated
  with check ((select auth.uid()) = user_id);
create policy transaction_splits_update on public.transaction_splits for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy transaction_splits_delete on public.transaction_splits for delete to authenticated
  using ((select auth.uid()) = user_id);

-- ---------------------------------------------------------------------------------------
-- user_secrets: small per-user secrets, encrypted with the user's data key (core.crypto).
-- Insert-once: no update/delete for app roles (a replaced search key would orphan the
-- blind index); they leave with the account (cascade).
-- ---------------------------------------------------------------------------------------
create table public.user_secrets (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (length(name) between 1 and 80),
  value_enc bytea not null,
  created_at timestamptz not null default now(),
  unique (user_id, name)
);
create index user_secrets_user_id_idx on public.user_secrets (user_id);
alter table public.user_secrets enable row level security;
create policy user_secrets_select on public.user_secrets for select to authenticated
  using ((select auth.uid()) = user_id);
create policy user_secrets_insert on public.user_secrets for insert to authenticated
  with check ((select auth.uid()) = user_id);

-- ---------------------------------------------------------------------------------------
-- grants: nothing to anon
-- ---------------------------------------------------------------------------------------
revoke all on public.import_mappings, public.transaction_splits, public.user_secrets from anon;
revoke all on public.user_secrets from authenticated;
grant select, insert, update, delete on public.import_mappings, public.transaction_splits
  to authenticated;
grant select, insert on public.user_secrets to authenticated;
