-- Local accounts (auth backend "local"): users change their password on the Settings page and
-- an operator can reset a forgotten one (`python -m app reset-password EMAIL`).
--
-- A password version counts the changes. Sign-in tokens carry the version they were issued
-- under and stop restoring a session once it moves on, so changing a password signs out every
-- other browser that remembered the old one. The credentials table stays in `private` with RLS
-- and no grants; it is reached only through these security definer functions. The two
-- replaced functions keep their signatures, so their grants (foundation migration: execute for
-- pfm_app only) stay; the operator's reset is executable by the owner only.
alter table private.local_credentials
  add column if not exists password_version integer not null default 0;

-- The signed-in user's own change (the app has verified the current password).
create or replace function private.local_set_password(p_user uuid, p_password_hash text)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  update private.local_credentials
     set password_hash = p_password_hash, failed_attempts = 0, locked_until = null,
         password_version = password_version + 1, updated_at = now()
   where user_id = p_user;
  if not found then
    raise exception 'no local account for this user' using errcode = 'no_data_found';
  end if;
  insert into public.audit_log (user_id, actor_id, action) values (p_user, p_user, 'password_changed');
end
$$;

-- An operator's reset of a forgotten password; also lifts a lockout. Returns the user id.
create or replace function private.local_reset_password(p_email text, p_password_hash text)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid;
begin
  update private.local_credentials
     set password_hash = p_password_hash, failed_attempts = 0, locked_until = null,
         password_version = password_version + 1, updated_at = now()
   where email = lower(trim(p_email))
  returning user_id into v_user;
  if v_user is null then
    raise exception 'no local account with email %', p_email using errcode = 'no_data_found';
  end if;
  insert into public.audit_log (user_id, actor_id, action, detail)
  values (v_user, null, 'password_reset', jsonb_build_object('by', 'operator'));
  return v_user;
end
$$;
revoke all on function private.local_reset_password(text, text) from public;

-- Claims for a signed-in local user, now with the password version ("pwv").
create or replace function private.user_claims(p_user uuid)
returns jsonb
language sql security definer set search_path = ''
as $$
  select jsonb_build_object('sub', p.user_id, 'email', p.email, 'role', 'authenticated',
                            'app_role', p.role, 'display_name', p.display_name,
                            'pwv', coalesce(c.password_version, 0))
  from public.profiles p
  left join private.local_credentials c on c.user_id = p.user_id
  where p.user_id = p_user
$$;
