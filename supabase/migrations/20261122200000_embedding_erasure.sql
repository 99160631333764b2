-- Erasure of a deleted account's cached embeddings.
--
-- ml_cache.embeddings is shared by all users (keys are SHA-256 of model + merchant key, so a
-- text common to several users is embedded once). A vector can be partly inverted to its
-- text, so no entry may outlive the last account whose transactions use it:
--
-- * ml_cache.embedding_owners records which user's transactions use which entry (written by
--   the categorization job, jobs/embedding_store.record_owners);
-- * private.user_data_schemas() now includes ml_cache, so private.delete_my_account()
--   deletes the user's owner rows with the rest of their data;
-- * a statement trigger then drops every entry that no remaining owner uses.
--
-- ml_cache is not exposed to the API (no RLS, like the rest of the schema): only the job
-- login role reads and writes it, and deletion runs inside the security-definer function.
-- The app role never embeds (categorization runs in the job process), so it loses the access
-- to the cache it was granted in 20261121350000_categorization.
revoke all on ml_cache.embeddings from pfm_app;

create table if not exists ml_cache.embedding_owners (
  user_id uuid not null references auth.users (id) on delete cascade,
  model text not null,
  key bytea not null,
  primary key (user_id, model, key)
);
create index if not exists embedding_owners_entry_idx on ml_cache.embedding_owners (model, key);
revoke all on ml_cache.embedding_owners from public;
grant select, insert on ml_cache.embedding_owners to pfm_job_worker;

create or replace function private.forget_unowned_embeddings() returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
begin
  delete from ml_cache.embeddings e
  using (select distinct o.model, o.key from gone o) g
  where e.model = g.model and e.key = g.key
    and not exists (select 1 from ml_cache.embedding_owners w
                    where w.model = g.model and w.key = g.key);
  return null;
end
$$;
revoke all on function private.forget_unowned_embeddings() from public;

drop trigger if exists embedding_owners_forget on ml_cache.embedding_owners;
create trigger embedding_owners_forget
  after delete on ml_cache.embedding_owners
  referencing old table as gone
  for each statement execute function private.forget_unowned_embeddings();

create or replace function private.user_data_schemas() returns text[]
language sql immutable set search_path = ''
as $$ select array['public', 'private', 'pipeline', 'analytics', 'ml_cache'] $$;
revoke all on function private.user_data_schemas() from public;

-- Entries nobody has recorded (a job that stopped between embedding and recording, entries
-- cached before this migration whose user has not been categorized since) are pruned nightly
-- by the job process once they are p_min_age_hours old; the next run that needs one embeds it
-- again and records its owner.
create or replace function private.prune_unowned_embeddings(p_min_age_hours integer default 48)
returns bigint
language plpgsql volatile security definer set search_path = ''
as $$
declare v_n bigint;
begin
  delete from ml_cache.embeddings e
  where e.created_at < now() - make_interval(hours => greatest(coalesce(p_min_age_hours, 48), 1))
    and not exists (select 1 from ml_cache.embedding_owners o
                    where o.model = e.model and o.key = e.key);
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
revoke all on function private.prune_unowned_embeddings(integer) from public;
grant execute on function private.prune_unowned_embeddings(integer) to pfm_job_worker;
