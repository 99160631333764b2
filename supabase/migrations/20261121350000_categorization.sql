-- Categorization: the shared embedding cache, prediction provenance on transactions, and
-- pipeline writes that do not mark the user dirty again.
--
-- Embeddings of normalized descriptions are computed once and shared by the app and the job
-- process. The cache lives in the schema `ml_cache`, which is not exposed to the API and is
-- reachable only by the app and job login roles; rows are keyed by a SHA-256 of model + text,
-- so the cache holds no readable description.

create schema if not exists ml_cache;
revoke all on schema ml_cache from public;
grant usage on schema ml_cache to pfm_app, pfm_job_worker;

create table ml_cache.embeddings (
  model text not null,
  key bytea not null,
  vector bytea not null,
  created_at timestamptz not null default now(),
  primary key (model, key)
);
grant select, insert on ml_cache.embeddings to pfm_app, pfm_job_worker;

-- every prediction keeps its provenance and, below the auto-apply threshold, its suggestions
alter table public.transactions
  add column category_model_version text,
  add column category_run_id uuid,
  add column category_suggestions jsonb;

-- writes made by the pipeline itself (predictions) set pfm.pipeline_write locally and do not
-- mark the user dirty again; user edits, imports and corrections still do.
create or replace function private.mark_dirty() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if coalesce(current_setting('pfm.pipeline_write', true), '') = 'on' then
    return null;
  end if;
  insert into pipeline.user_state as s (user_id, dirty_seq, dirty_since)
  select distinct user_id, 1, now() from changed_rows
  on conflict (user_id) do update
    set dirty_seq = s.dirty_seq + 1,
        dirty_since = coalesce(case when s.dirty_seq > s.processed_seq then s.dirty_since end, now());
  perform pg_notify('pfm_dirty', '');
  return null;
end
$$;

create index transactions_user_source_idx on public.transactions (user_id, category_source);
