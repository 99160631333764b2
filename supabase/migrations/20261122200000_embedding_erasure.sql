-- Erasure of a deleted account's cached embeddings.
--
-- ml_cache.embeddings is shared by all users (keys are SHA-256 of model + merchant key, so a
-- text common to several users is embedded once). When an account is deleted, the app
-- (core.privacy.delete_account) removes the entries for that user's descriptions, for every
-- model: a vector can be partly inverted to its text, so it must not outlive the account.
-- Another user with the same text simply has it embedded again. The cache has no user_id
-- column and no RLS (it is reachable only by the app and job login roles, see
-- 20261121350000_categorization.sql); the app role may now delete from it.

grant delete on ml_cache.embeddings to pfm_app;
