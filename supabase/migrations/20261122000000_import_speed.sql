-- Import speed (issue 3): less work per inserted row of public.transactions.
--
-- An import writes up to hundreds of thousands of rows in one statement; every index, foreign
-- key and wide column is paid per row. This migration keeps what queries and integrity need
-- and drops the rest:
--
-- * Raw lines: one encrypted, compressed blob per import batch (import_batches.raw_enc, the
--   batch's raw lines as a JSON array) instead of one ciphertext per row; each transaction
--   keeps its position in that array (transactions.raw_pos). Rows imported before this keep
--   their own raw_enc; both are read by core.import_raw.
-- * Account and owner in one foreign key: (account_id, user_id) -> accounts (id, user_id)
--   replaces the two single-column keys. One check per row instead of two, and it also
--   guarantees that a transaction's account belongs to the transaction's owner. Deleting an
--   auth user still removes their transactions (auth.users -> accounts -> transactions, both
--   on delete cascade; private.delete_my_account deletes by user_id anyway).
-- * The batch foreign key goes: a batch is never deleted on its own (undo keeps the batch row
--   as 'undone' and deletes its transactions explicitly; deleting an account removes both
--   through their account keys), so the key only cost a lookup per imported row. batch_id
--   stays indexed for undo and the batch filter.
-- * Indexes: (user_id, category_source) served no query (the review and job filters combine
--   it with OR or with needs_review); (user_id, merchant) is replaced by the user's date index
--   plus a filter (a user's rows, not the table); (user_id, category_id) becomes a partial
--   index on category_id (categories are per user, so the id alone is as selective), which
--   an import only fills for rule-categorized rows and which the category foreign key's
--   "on delete set null" uses.
-- * Text search: the expression GIN index over to_tsvector(description, merchant, payee) cost
--   about a fifth of an import's database time (parsing every row's text). Search now matches
--   each query word as a case-insensitive substring (ILIKE) of the user's rows, which also
--   finds words inside words ("netfl" in "NETFLIX.COM"): ~0.1 s at 100,000 rows of one user.
--   Notes keep their blind index (transactions_notes_terms_idx).

alter table public.import_batches add column if not exists raw_enc bytea;
-- ciphertext does not compress: store it out of line without trying
alter table public.import_batches alter column raw_enc set storage external;
comment on column public.import_batches.raw_enc is
  'The batch''s raw lines: a JSON array, zlib-compressed, AES-GCM with the user''s data key'
  ' (field raw_lines); transactions.raw_pos indexes it.';
alter table public.transactions add column if not exists raw_pos integer
  check (raw_pos is null or raw_pos >= 0);

alter table public.accounts add constraint accounts_id_user_id_key unique (id, user_id);
alter table public.transactions drop constraint if exists transactions_user_id_fkey;
alter table public.transactions drop constraint if exists transactions_account_id_fkey;
alter table public.transactions add constraint transactions_account_owner_fkey
  foreign key (account_id, user_id) references public.accounts (id, user_id) on delete cascade;
alter table public.transactions drop constraint if exists transactions_batch_id_fkey;

drop index if exists public.transactions_user_source_idx;
drop index if exists public.transactions_user_merchant_idx;
drop index if exists public.transactions_user_category_idx;
create index if not exists transactions_category_idx on public.transactions (category_id)
  where category_id is not null;
drop index if exists public.transactions_fts_idx;

-- The grants and row-level security policies of both tables are unchanged (new columns are
-- covered by the table-level grants of the foundation and import migrations).
