"""What every page shares: the signed-in user, the auth backend and the database handle.

The auth backend (and with it any Supabase client carrying a user's token) lives in
``st.session_state`` — one per browser session, never in a cache shared across sessions.
The database pools hold no user state; each query runs in ``user_session`` under RLS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import streamlit as st

from core import freshness, preferences, undo
from core.auth import AuthBackend, LocalAuth, cookie_key
from core.config import get_settings
from core.currency import format_money
from core.db import Database, get_database
from core.identity import AuthUser

if TYPE_CHECKING:  # pages hand connections on to core; they never use psycopg themselves
    import psycopg

    from core.undo import Change

log = logging.getLogger(__name__)
BASE_CURRENCY = "base_currency"


def database() -> Database:
    return get_database()


def auth_backend() -> AuthBackend:
    """This browser session's auth backend (created on first use)."""
    if "auth_backend" not in st.session_state:
        settings = get_settings()
        db = database()
        if settings.auth_backend == "supabase":
            from core.auth_supabase import SupabaseAuth

            backend: AuthBackend = SupabaseAuth(db, settings.supabase_url or "",
                                                settings.supabase_anon_key or "",
                                                settings.supabase_jwt_secret)
        else:
            backend = LocalAuth(db, cookie_key(settings))
        st.session_state["auth_backend"] = backend
    return st.session_state["auth_backend"]


SESSION_COOKIE = "pfm_session"


def current_user() -> AuthUser | None:
    return st.session_state.get("user")


def sign_in(user: AuthUser) -> None:
    """Remember ``user`` in this session and, with a signed expiring token, in the browser."""
    st.session_state["user"] = user
    st.session_state.pop("signed_out", None)
    token = auth_backend().session_token(user)
    if token:
        st.session_state["cookie_action"] = ("set", token)


def sign_out() -> None:
    user = current_user()
    if user is not None:
        auth_backend().sign_out(user)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state["signed_out"] = True
    st.session_state["cookie_action"] = ("delete", None)


def restore_from_cookie() -> AuthUser | None:
    """Sign in again from the browser's session cookie (a new tab, a reload)."""
    if st.session_state.get("signed_out"):
        return None
    token = st.context.cookies.get(SESSION_COOKIE)
    user = auth_backend().restore(token) if token else None
    if user is not None:
        st.session_state["user"] = user
    return user


def sync_cookie() -> None:
    """Write or delete the session cookie in the browser when a sign-in/out asked for it.

    The request stays in the session until the browser reports the cookie in its new state:
    the component's own rerun must not unmount it before it has acted."""
    action = st.session_state.get("cookie_action")
    if action is None:
        return
    import datetime as dt

    import extra_streamlit_components as stx

    manager = stx.CookieManager(key="pfm_cookie_manager")
    seen = manager.cookies or {}
    if action[0] == "set":
        if seen.get(SESSION_COOKIE) == action[1]:
            st.session_state.pop("cookie_action", None)
            return
        manager.set(SESSION_COOKIE, action[1], key="pfm_cookie_set", same_site="strict",
                    expires_at=dt.datetime.now() + dt.timedelta(days=14))
    else:
        if seen and SESSION_COOKIE not in seen:
            st.session_state.pop("cookie_action", None)
            return
        manager.cookie_manager(method="delete", cookie=SESSION_COOKIE, key="pfm_cookie_delete",
                               default=False)


def require_user() -> AuthUser:
    user = current_user()
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    return user


@contextmanager
def session() -> Iterator[psycopg.Connection]:
    """A transaction as the signed-in user."""
    with database().user_session(require_user()) as conn:
        yield conn


def base_currency() -> str:
    """The signed-in user's base currency (``app/main.py`` reads it at the start of every run,
    so a change made in another browser shows at the next interaction); EUR when nobody is
    signed in."""
    user = current_user()
    if user is None:
        return "EUR"
    known = st.session_state.get(BASE_CURRENCY)
    if known and known[0] == str(user.id):
        return known[1]
    with session() as conn:
        code = preferences.base_currency(conn)
    remember_base_currency(code)
    return code


def remember_base_currency(code: str) -> None:
    """Keep ``code`` as the signed-in user's base currency for this run's pages."""
    user = current_user()
    if user is not None:
        st.session_state[BASE_CURRENCY] = (str(user.id), code)


def money(value: object, currency: str | None = None) -> str:
    """``-£1,234.50``: in ``currency``, else the user's base currency."""
    return format_money(value, currency or base_currency())


def moneys(values: Iterable[object], currencies: Iterable[str]) -> list[str]:
    """:func:`money` of each value in its own currency (an account's, a transaction's)."""
    return [money(v, c) for v, c in zip(values, currencies, strict=True)]


def freshness_notice() -> freshness.Freshness:
    """Say so above stored figures when the user's latest changes are not in them yet;
    returns the state (``last_run_at`` None: the job process never ran for the user)."""
    with session() as conn:
        state = freshness.state(conn)
    text = freshness.notice(state)
    if text:
        st.info(text, icon=":material/hourglass_top:")
    return state


UNDO_DEPTH = 10
"""How many actions each Undo keeps (:func:`remember_undo`), newest undone first."""


def _undo_stack(key: str) -> list[tuple]:
    """The actions remembered under ``key`` that belong to the signed-in user, oldest first."""
    me = getattr(current_user(), "id", None)
    return [entry for entry in st.session_state.get(key) or [] if entry[0] == me]


def remember_undo(key: str, changes: Iterable[Change | None], text: str) -> None:
    """Keep an action's changes (:class:`core.undo.Change`) under ``key`` for its Undo
    (:func:`undo_bar`), on top of the earlier ones (at most :data:`UNDO_DEPTH`): in this
    browser session only (sign-out clears it), with the user they belong to."""
    kept = [c for c in changes if c is not None]
    if not kept:
        return
    stack = [*_undo_stack(key), (getattr(current_user(), "id", None), kept, text)]
    st.session_state[key] = stack[-UNDO_DEPTH:]


def undo_last(key: str) -> int | None:
    """Undo the newest action remembered under ``key`` (forgotten now); how many transactions
    were put back, or ``None`` when there was none to undo."""
    stack = _undo_stack(key)
    if not stack:
        return None
    _, changes, _ = stack.pop()
    st.session_state[key] = stack
    with session() as conn:
        return undo.undo(conn, changes)


def undo_bar(key: str, button_key: str, on_click: Callable[[], None], help_text: str) -> None:
    """The newest action remembered under ``key`` (its text), with an "Undo" button, and how
    many earlier ones can be undone after it."""
    stack = _undo_stack(key)
    if not stack:
        return
    earlier = len(stack) - 1
    text, button = st.columns([6, 1], vertical_alignment="center")
    text.caption(stack[-1][2] + (f" ({earlier} earlier can be undone after it, newest first.)"
                                 if earlier else ""))
    button.button("Undo", key=button_key, on_click=on_click, help=help_text)
