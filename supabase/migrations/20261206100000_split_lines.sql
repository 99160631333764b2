-- Split transactions count as their parts wherever money is added up by category.
--
-- A transaction can be spread over several categories (public.transaction_splits: split by the
-- user in the table's row details, or QIF split lines on import). Until now every figure grouped
-- by category read transactions.category_id only, so a -81.99 purchase split into Groceries -60
-- and Household -21.99 counted 81.99 as Groceries. public.transaction_lines is the one
-- definition of "what a transaction contributes to each category":
--
-- * a transaction without splits: one line, itself (its amount, its category);
-- * a split transaction: one line per part (the part's amount and category; a part without a
--   category is uncategorized, as the user left it), plus, when the parts do not add up to the
--   transaction's amount (a QIF file's lines may not), one line with the rest under the
--   transaction's own category. The lines of a transaction therefore always add up to it, so
--   per-category figures reconcile with per-transaction totals.
--
-- Every line carries the transaction's id, owner, account, date, currency, flags (transfer,
-- excluded, pending) and texts, so aggregates filter lines exactly as they filtered
-- transactions. Figures that do not depend on the category (balances, money in/out, cash flow,
-- merchants, recurring payments, anomalies) keep reading public.transactions.
--
-- Security: the view is `security_invoker`, so the row-level security of transactions and
-- transaction_splits applies to whoever reads it (a user sees their own lines only; the job
-- process reads it in the user's session). A part joins its transaction only when both have
-- the same owner, so nobody can attach a part to another user's transaction (the foreign key
-- alone would allow it) and change that user's figures in the owner-level analytics. The view
-- is read-only: select for authenticated, nothing for anon. It is not a table: the export and
-- account deletion (which walk the tables with a user_id column) are unaffected.
--
-- analytics.spend_by_category_month (staff, k-anonymous) now adds up lines too; its
-- `transactions` column still counts transactions (a split counts once per category it touches).

create or replace view public.transaction_lines
with (security_invoker = true) as
select t.id as transaction_id, null::uuid as split_id, 0::smallint as position, t.user_id,
       t.account_id, t.date, t.amount, t.amount as transaction_amount, t.currency, t.category_id,
       false as is_split, t.is_transfer, t.excluded, t.pending, t.description, t.payee, t.merchant
from public.transactions t
where not exists (select 1 from public.transaction_splits s
                  where s.transaction_id = t.id and s.user_id = t.user_id)
union all
select t.id, s.id, s.position, t.user_id, t.account_id, t.date, s.amount, t.amount, t.currency,
       s.category_id, true, t.is_transfer, t.excluded, t.pending, t.description, t.payee,
       t.merchant
from public.transactions t
join public.transaction_splits s on s.transaction_id = t.id and s.user_id = t.user_id
union all
select t.id, null::uuid, 32767::smallint, t.user_id, t.account_id, t.date, t.amount - p.total,
       t.amount, t.currency, t.category_id, true, t.is_transfer, t.excluded, t.pending,
       t.description, t.payee, t.merchant
from public.transactions t
join (select s.transaction_id, s.user_id, sum(s.amount) as total
      from public.transaction_splits s group by 1, 2) p
  on p.transaction_id = t.id and p.user_id = t.user_id
where p.total <> t.amount;

comment on view public.transaction_lines is
  'What each transaction contributes per category: one line per transaction without splits, '
  'one per split part otherwise (plus the rest under the transaction''s category when the parts '
  'do not add up). Security invoker: the RLS of transactions and transaction_splits applies.';
comment on column public.transaction_lines.amount is
  'The line''s amount (the part''s for a split; signed, negative = money out).';
comment on column public.transaction_lines.transaction_amount is
  'The whole transaction''s amount.';
comment on column public.transaction_lines.split_id is
  'The transaction_splits row of a part; null for an unsplit transaction and for the rest line.';

revoke all on public.transaction_lines from public, anon, authenticated;
grant select on public.transaction_lines to authenticated;

-- ---------------------------------------------------------------------------------------
-- analytics: money out per month x top-level category x currency, from the lines
-- ---------------------------------------------------------------------------------------
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
      select date_trunc('month', l.date)::date as month,
             coalesce(p.name, c.name, 'Uncategorized') as category,
             l.currency::text as currency, l.user_id,
             count(distinct l.transaction_id) as n, -sum(l.amount) as spent
      from public.transaction_lines l
      left join public.categories c on c.id = l.category_id
      left join public.categories p on p.id = c.parent_id
      where l.amount < 0 and not l.is_transfer and not l.excluded
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
revoke all on function analytics.spend_by_category_month(date, date, text, integer) from public;
grant execute on function analytics.spend_by_category_month(date, date, text, integer)
  to authenticated;
