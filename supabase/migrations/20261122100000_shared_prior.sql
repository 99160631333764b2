-- The shared merchant prior (issue 4): how users who consented to `model_training` file
-- merchants, aggregated so that no single user can be recognised.
--
-- The job process (jobs/shared_prior.py) rebuilds the table from scratch, in one transaction,
-- from the user-decided labels of the users `pipeline.consenting_users('model_training')`
-- returns at that moment; a withdrawal therefore removes the user's contribution at the next
-- rebuild. A (merchant, category) pair is kept only when the category is a name of the default
-- taxonomy (a custom category name can be personal) and at least K distinct consenting users
-- (K = 5 by default) labeled the merchant. No user id, amount, date or description is stored.
--
-- The table lives in `ml_cache`, which is not exposed to the API. Only the least-privilege job
-- role touches it: it rebuilds it and reads it to categorize. The app categorizes nothing
-- in-process, so it gets no grant.

create schema if not exists ml_cache;
revoke all on schema ml_cache from public;
grant usage on schema ml_cache to pfm_job_worker;

create table if not exists ml_cache.shared_merchant_categories (
  merchant_key text not null check (length(merchant_key) between 1 and 200),
  category text not null check (length(category) between 1 and 80),
  n_users integer not null check (n_users >= 1),
  n_labels integer not null check (n_labels >= n_users),
  updated_at timestamptz not null default now(),
  primary key (merchant_key, category)
);
revoke all on ml_cache.shared_merchant_categories from public;
grant select, insert, delete on ml_cache.shared_merchant_categories to pfm_job_worker;

comment on table ml_cache.shared_merchant_categories is
  'Shared categorization prior: per merchant key (ml.text.merchant_key), how many distinct '
  'consenting users filed it under each default-taxonomy category. Rebuilt in full by the job '
  'process from model_training consents only; merchants labeled by fewer than K users are '
  'left out.';
comment on column ml_cache.shared_merchant_categories.merchant_key is
  'ml.text.merchant_key of the merchant (or of the description when there is no merchant).';
comment on column ml_cache.shared_merchant_categories.category is
  'A leaf name of the default taxonomy (core.taxonomy); custom names are never shared.';
comment on column ml_cache.shared_merchant_categories.n_users is
  'Distinct consenting users whose latest decision files the merchant under this category.';
comment on column ml_cache.shared_merchant_categories.n_labels is
  'User-decided transactions behind n_users (for weighting; never a single user''s count alone).';
