-- Users edit their accounts (name, kind, currency, opening balance) on the Settings page. The
-- opening balance moves every balance the job process computes from (net worth, the forecast
-- and its buffer alert, safe-to-spend), so an update of an account marks its user dirty, like
-- an edit of their transactions, budgets or goals: the next poll replans. The accounts table's
-- RLS policies and grants (foundation migration) are unchanged: users update only their own
-- rows.
create trigger accounts_dirty_upd after update on public.accounts
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
