-- An import into a new account may set the account's opening balance from the file's running
-- balance (core.importer). The batch remembers the value it set, so undoing that import puts
-- the opening balance back to 0 when nothing else has changed it since (the user did not edit
-- it and no other import of the account remains). The import_batches table's RLS policies
-- (one per command, own rows only), index on user_id and grants (foundation migration) cover
-- the new column; nothing else changes.
alter table public.import_batches
  add column if not exists opening_balance_set numeric(14, 2);
comment on column public.import_batches.opening_balance_set is
  'the opening balance this import gave its (new) account; null: it set none';
