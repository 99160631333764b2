"""Admin analytics are k-anonymous: a staff account calling every function, with every filter
that could single out one user, never gets that user's transactions, descriptions or amounts.

One database of its own (``fresh_db``) so the population is known exactly:

* phase A — 7 users with data (the real labeled history of the "target" + 6 demo households)
  plus a staff and an admin account: 9 accounts < k = 10, so every aggregate is suppressed;
* phase B — 4 more demo households and a plain user: 11 users with data, groups of 10+ appear,
  while the target's own groups (its 2021-2023 months, its ZAR currency, its private
  categories, its own anomaly kind) stay suppressed.

Pipeline stages run for real (job_runs); predictions/corrections are stored as the
categorization stage and the review queue store them.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pandas as pd
import psycopg
import pytest
from privacy_data import STAGES, TARGET_ONLY_KIND

from core import analytics, privacy

K = 10


def _isolating_calls(world: dict) -> dict[str, list[dict[str, Any]]]:
    """For every staff function, the filters a curious staff member would use on the target."""
    month = dt.date(2022, 3, 1)  # only the target has data in 2021-2023
    return {
        "overview": [{}, {"k": 1}],
        "k_anonymity": [{}, {"k": 1}],
        "categorization_accuracy": [{}, {"start": month, "end": month}, {"k": 1}],
        "categorization_by_category": [{}, {"category": "Gambling"}, {"category": "Gambling", "k": 1},
                                       {"category": "Pottery Club"}],
        "categorization_calibration": [{}, {"k": 1}],
        "review_queue": [{}, {"k": 1}],
        "anomaly_verdicts": [{}, {"kind": TARGET_ONLY_KIND}, {"kind": TARGET_ONLY_KIND, "k": 1}],
        "forecast_accuracy": [{}, {"k": 1}],
        "stage_health": [{}, {"days": 1, "k": 1}],
        "job_runs_daily": [{}, {"days": 1, "k": 1}],
        "job_failures": [{}, {"days": 1, "k": 1}],
        "queue_depth": [{}],
        "database_size": [{}],
        "spend_by_category_month": [{}, {"start": month, "end": month},
                                    {"category": "Gambling"}, {"category": "Insufficient Funds Fee", "k": 1},
                                    {"category": "Pottery Club"},
                                    {"start": dt.date(2021, 1, 1), "end": dt.date(2023, 12, 31), "k": 1}],
        "active_users": [{}, {"start": month, "end": month}, {"k": 1}],
        "imports_per_day": [{}, {"days": 1, "k": 1}],
    }


def _cells(result: Any) -> list[Any]:
    """Every value in a function's answer (but measured job durations, which hold no user data
    and differ on every run)."""
    if isinstance(result, pd.DataFrame):
        kept = result[[c for c in result.columns if not str(c).endswith("_seconds")]]
        return [*result.columns, *kept.to_numpy().ravel().tolist()]
    if isinstance(result, dict):
        return [*result.keys(), *result.values()]
    return [result]


def _call_all(db, staff, world: dict) -> dict[tuple[str, int], Any]:
    answers = {}
    for name, calls in _isolating_calls(world).items():
        for i, kwargs in enumerate(calls):
            with db.user_session(staff) as conn:
                answers[(name, i)] = analytics.STAFF_FUNCTIONS[name](conn, **kwargs)
    return answers


def _target_secrets(world: dict, frame: pd.DataFrame) -> tuple[set[str], set[Decimal]]:
    """Strings and amounts that belong to the target alone (an amount someone else also
    paid, such as a 79.99 subscription, can be an honest aggregate over others)."""
    target = world["target"]
    texts = {d.lower() for d in frame["description"]} | {str(target.id), target.email.lower()}
    with world["db"].owner_connection() as conn:
        others = {r[0] for r in conn.execute(
            "select distinct abs(amount)::numeric(14, 2) from transactions where user_id <> %s",
            [str(target.id)])}
    amounts = {abs(a).quantize(Decimal("0.01")) for a in frame["amount"]
               if abs(a) >= 10 and abs(a) != abs(a).to_integral()} - others
    assert len(amounts) > 100  # most of the target's amounts are still its own to look for
    return texts, amounts


def _assert_nothing_of_target(answers: dict, world: dict, frame: pd.DataFrame) -> None:
    texts, amounts = _target_secrets(world, frame)
    for key, result in answers.items():
        for cell in _cells(result):
            if cell is None or (isinstance(cell, float) and math.isnan(cell)):
                continue
            text = str(cell).lower()
            leaked = [t for t in texts if len(t) >= 6 and t in text]
            assert not leaked, f"{key} returned the target's text {leaked[:1]}"
            if isinstance(cell, int | float | Decimal) and not isinstance(cell, bool):
                value = abs(Decimal(str(cell))).quantize(Decimal("0.01"))
                assert value not in amounts or value == value.to_integral(), \
                    f"{key} returned {cell}, one of the target's amounts"


def test_every_analytics_function_is_covered(world: dict) -> None:
    with world["db"].owner_connection() as conn:
        names = {r[0] for r in conn.execute(
            "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
            " where n.nspname = 'analytics' and p.proname not like '\\_%'")}
        exposed = {r[0] for r in conn.execute(
            "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
            " where n.nspname = 'analytics' and has_function_privilege('authenticated', p.oid, 'execute')")}
    assert names == set(analytics.STAFF_FUNCTIONS) | set(analytics.ADMIN_FUNCTIONS)
    assert exposed == names, "a helper (_require_staff, _k ...) is executable by app users"
    assert set(_isolating_calls(world)) == set(analytics.STAFF_FUNCTIONS)


def test_fewer_than_k_users_everything_is_suppressed(world: dict, labeled_frame) -> None:
    answers = _call_all(world["db"], world["staff"], world)
    for (name, i), result in answers.items():
        if name in ("k_anonymity", "database_size", "queue_depth"):
            continue  # the threshold itself, the database size, the queue: no user data
        if name == "job_failures":
            assert len(result) == 1 and result["users"].isna().all(), result
            assert result["error"].iloc[0] == "ValueError: cannot parse '…' amount … for user …"
            continue
        if isinstance(result, pd.DataFrame):
            assert result.empty, f"{name}#{i} answered with fewer than {K} users:\n{result}"
        elif isinstance(result, dict):
            assert all(v is None for v in result.values()), f"{name}#{i}: {result}"
        else:
            assert result is None, f"{name}#{i}: {result}"
    assert answers[("k_anonymity", 1)] == K  # asking for k=1 does not lower it
    _assert_nothing_of_target(answers, world, labeled_frame)
    # the foundation's admin overview answers with the same rule
    with world["db"].user_session(world["staff"]) as conn:
        assert conn.execute("select * from private.admin_overview()").fetchone() == (None,) * 4


def test_configured_k_can_be_lowered_by_the_operator_only(world: dict) -> None:
    db, staff = world["db"], world["staff"]
    with pytest.raises(ValueError):
        analytics.store_k_anonymity(db, 2)
    with pytest.raises(psycopg.errors.CheckViolation), db.owner_connection() as conn:
        conn.execute("update analytics.config set k_anonymity = 2")
    try:
        analytics.store_k_anonymity(db, 7)  # 7 users have predictions
        with db.user_session(staff) as conn:
            assert analytics.k_anonymity(conn, k=3) == 7
            rows = analytics.categorization_accuracy(conn, k=3)
            assert len(rows) == 1 and rows["users"].iloc[0] == 7
            assert analytics.categorization_accuracy(conn, k=8).empty  # a caller may raise k
    finally:
        analytics.store_k_anonymity(db, K)
    with db.user_session(staff) as conn:
        assert analytics.categorization_accuracy(conn, k=3).empty


def test_normal_users_and_other_roles_cannot_call_admin_functions(grown: dict) -> None:
    db = grown["db"]
    for name, fn in {**analytics.STAFF_FUNCTIONS, **analytics.ADMIN_FUNCTIONS}.items():
        args = ("x@example.org", "staff") if name == "set_user_role" else ()
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.user_session(grown["plain"]) as conn:
            fn(conn, *args)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.anon_session() as conn:
            fn(conn, *args)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.job_session() as conn:
            fn(conn, *args)
    for name, fn in analytics.ADMIN_FUNCTIONS.items():
        args = (grown["plain"].email, "staff") if name == "set_user_role" else ()
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.user_session(grown["staff"]) as conn:
            fn(conn, *args)


def test_with_k_users_aggregates_appear_and_are_right(grown: dict) -> None:
    db, staff = grown["db"], grown["staff"]
    predictions = sum(s.known for s in grown["totals"])
    corrections = sum(s.fixes for s in grown["totals"])
    with db.user_session(staff) as conn:
        overview = analytics.overview(conn)
        accuracy = analytics.categorization_accuracy(conn)
        calibration = analytics.categorization_calibration(conn)
        by_category = analytics.categorization_by_category(conn)
        queue = analytics.review_queue(conn)
        verdicts = analytics.anomaly_verdicts(conn)
        stages = analytics.stage_health(conn)
        spend = analytics.spend_by_category_month(conn)
        active = analytics.active_users(conn)
        imports = analytics.imports_per_day(conn)
    assert overview["users"] == 14 and overview["users_with_transactions"] == 11
    assert overview["accounts"] is not None and overview["transactions"] is not None
    assert overview["import_batches"] is None  # only the target imported a statement
    # every prediction of all 11 users, in one month (they were all made now)
    assert accuracy["users"].tolist() == [11]
    assert accuracy["predictions"].iloc[0] == predictions and accuracy["corrected"].iloc[0] == corrections
    assert calibration["predictions"].sum() == predictions
    # each decile holds exactly the simulated predictions of that confidence, with their outcomes
    # (the simulation draws a correction with probability 1 - confidence, so accuracy tracks
    # confidence only statistically: the exact counts are what is checked)
    expected: dict[int, list[bool]] = {}
    for s in grown["totals"]:
        for conf, corrected in s.outcomes:
            expected.setdefault(min(math.floor(conf * 10), 9), []).append(corrected)
    assert sorted(round(b * 10) for b in calibration["lower_bound"]) == sorted(expected)
    for b in calibration.itertuples():
        outcomes = expected[round(b.lower_bound * 10)]
        assert (b.predictions, b.corrected) == (len(outcomes), sum(outcomes)), b
        assert b.accuracy == pytest.approx(1 - sum(outcomes) / len(outcomes))
        assert b.lower_bound <= b.mean_confidence < b.lower_bound + 0.1
    assert (by_category["users"] >= K).all() and "Gambling" not in set(by_category["category"])
    assert queue is not None and queue["users"] >= K
    assert set(verdicts["kind"]) == {"(all kinds)", "amount_spike", "duplicate"}
    assert verdicts.set_index("kind").loc["(all kinds)", "users"] == 11
    assert set(stages["stage"]) == STAGES and (stages["users"] == 11).all()
    assert not spend.empty and set(spend["currency"]) == {"EUR"} and (spend["users"] >= K).all()
    assert spend["month"].min() >= dt.date(2026, 1, 1)  # the target's 2021-2023 months: suppressed
    assert active["registered"].notna().any() and active["with_transactions"].notna().any()
    assert imports["users"].max() >= 11
    # a spend group equals the sum over its members, computed independently as the owner
    g = spend.iloc[0]
    with db.owner_connection() as conn:
        total = conn.execute("""
            select -sum(t.amount), count(distinct t.user_id) from transactions t
            left join categories c on c.id = t.category_id left join categories p on p.id = c.parent_id
            where date_trunc('month', t.date) = %s and coalesce(p.name, c.name, 'Uncategorized') = %s
              and t.currency = %s and t.amount < 0 and not t.is_transfer and not t.excluded""",
                             [g.month, g.category, g.currency]).fetchone()
    assert (float(total[0]), total[1]) == (pytest.approx(g.total), g.users)


def test_staff_never_isolates_the_target(grown: dict, labeled_frame) -> None:
    answers = _call_all(grown["db"], grown["staff"], grown)
    isolating = {("categorization_accuracy", 1), ("categorization_by_category", 1),
                 ("categorization_by_category", 2), ("categorization_by_category", 3),
                 ("anomaly_verdicts", 1), ("anomaly_verdicts", 2),
                 ("spend_by_category_month", 1), ("spend_by_category_month", 2),
                 ("spend_by_category_month", 3), ("spend_by_category_month", 4),
                 ("spend_by_category_month", 5), ("active_users", 1)}
    for key in isolating:
        assert answers[key].empty, f"{key} isolated a group of fewer than {K} users:\n{answers[key]}"
    # unfiltered answers do include the target's data, inside groups of 10+
    assert answers[("categorization_accuracy", 0)]["users"].iloc[0] == 11
    _assert_nothing_of_target(answers, grown, labeled_frame)
    for key, result in answers.items():
        if isinstance(result, pd.DataFrame):
            assert not {"user_id", "description", "amount", "email", "merchant"} & set(result.columns), key


def test_roles_change_only_by_admin_and_audited(grown: dict) -> None:
    db, admin, staff, plain = grown["db"], grown["admin"], grown["staff"], grown["plain"]
    with db.user_session(admin) as conn:
        assert analytics.set_user_role(conn, plain.email.upper(), "staff") == "user"
        listed = analytics.privileged_users(conn)
    assert plain.email in set(listed["email"])
    with db.user_session(plain) as conn:  # the new role works at once (re-read from profiles)
        assert analytics.overview(conn)["users"] == 14
    with db.user_session(admin) as conn:
        assert analytics.set_user_role(conn, plain.email, "user") == "staff"
    with db.user_session(admin) as conn, pytest.raises(analytics.RoleChangeRefused, match="no user"):
        analytics.set_user_role(conn, "nobody@example.org", "staff")
    with db.user_session(admin) as conn, pytest.raises(analytics.RoleChangeRefused, match="last admin"):
        analytics.set_user_role(conn, admin.email, "user")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.user_session(staff) as conn:
        analytics.set_user_role(conn, staff.email, "admin")
    # the only admin can neither demote nor delete themselves (nobody could manage roles)
    with pytest.raises(privacy.DeletionRefused, match="last admin"):
        privacy.delete_account(db, admin, admin.email)
    with db.owner_connection() as conn:
        roles = dict(conn.execute("select email, role from profiles where email in (%s, %s, %s)",
                                  [plain.email, staff.email, admin.email]).fetchall())
        trail = conn.execute("select actor_id, detail from audit_log where user_id = %s"
                             " and action = 'role_changed' order by id", [str(plain.id)]).fetchall()
    assert roles == {plain.email: "user", staff.email: "staff", admin.email: "admin"}
    assert [(str(a), d["from"], d["to"]) for a, d in trail] == [
        (str(admin.id), "user", "staff"), (str(admin.id), "staff", "user")]
    with pytest.raises(ValueError):
        with db.user_session(admin) as conn:
            analytics.set_user_role(conn, plain.email, "root")
