-- ---------------------------------------------------------------------------------------
-- Merchants the user said are not the same.
--
-- The Merchants tab (pages/transactions_merchants.py) suggests merging merchants whose names
-- look like one shop written two ways ("ATMD" and "ATM", ml/merchant_pairs.py). "Not the same"
-- stores the pair here, so it is not suggested again; merging needs no row (the two names are
-- one afterwards). One row per pair and user: both names lower-cased, in order (name_a <
-- name_b). Users read, add and remove only their own rows (row-level security; no update: a
-- pair is kept or forgotten); the rows leave with the account (on delete cascade) and are in
-- the data export (core.privacy finds every table with a user_id).
-- ---------------------------------------------------------------------------------------

create table public.merchant_pairs_apart (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name_a text not null check (char_length(name_a) between 1 and 120 and name_a = lower(name_a)),
  name_b text not null check (char_length(name_b) between 1 and 120 and name_b = lower(name_b)),
  created_at timestamptz not null default now(),
  constraint merchant_pairs_apart_ordered check (name_a < name_b),
  constraint merchant_pairs_apart_once unique (user_id, name_a, name_b)
);
comment on table public.merchant_pairs_apart is
  'Pairs of merchant names (lower case, a < b) the user said are different shops: the '
  'Merchants tab does not suggest merging them again.';

alter table public.merchant_pairs_apart enable row level security;
create policy merchant_pairs_apart_select on public.merchant_pairs_apart for select
  to authenticated using ((select auth.uid()) = user_id);
create policy merchant_pairs_apart_insert on public.merchant_pairs_apart for insert
  to authenticated with check ((select auth.uid()) = user_id);
create policy merchant_pairs_apart_delete on public.merchant_pairs_apart for delete
  to authenticated using ((select auth.uid()) = user_id);

revoke all on public.merchant_pairs_apart from anon;
grant select, insert, delete on public.merchant_pairs_apart to authenticated;
