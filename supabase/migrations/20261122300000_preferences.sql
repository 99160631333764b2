-- The user's settings that change what the job process writes (profiles.auto_apply_threshold:
-- which predicted categories are applied without asking; profiles.balance_buffer: the balance
-- the forecast warns about) take effect at the next poll: an update of the profile marks the
-- user dirty, like an edit of their transactions, budgets or goals. The profile's RLS policies
-- and column grants (foundation migration) are unchanged: users update only their own row and
-- only display_name, base_currency, auto_apply_threshold and balance_buffer.
create trigger profiles_dirty_upd after update on public.profiles
  referencing new table as changed_rows for each statement execute function private.mark_dirty();
