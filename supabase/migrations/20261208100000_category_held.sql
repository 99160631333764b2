-- Guesses the categorizer holds back, stored with the row.
--
-- A guess for a merchant the user never filed that rests on amount and timing alone
-- (TransactionCategorizer.held_back: the user's amounts and days carry over badly to another
-- bank's statement; an Austrian insurer came out as Fitness at 0.98 in the demo account) is
-- never applied automatically, whatever the auto-apply level. The job now records that on the
-- row, so the Needs review queue neither offers it among the sure suggestions to accept at
-- once nor has to recognise it by the wording of its explanation, and the card can say why
-- it waits.
--
-- public.transactions.category_held: true while the row's current guess is held back. Only
-- the job writes it (with every prediction it stores); readers look at it on rows that need
-- review. The table's grants and row-level security (20261121000000_foundation) cover the
-- new column; no index: it is read only together with needs_review, which has its own.

alter table public.transactions
  add column if not exists category_held boolean not null default false;
comment on column public.transactions.category_held is
  'The categorizer held this guess back however sure it is (a merchant never filed, guessed '
  'from amount and timing alone): it waits in review and is not offered as a sure suggestion. '
  'Written by the job with each prediction.';
