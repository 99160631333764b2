"""Goals: add, edit and delete savings goals; the stored plan per goal; "what if" controls that
replan at once; and the investment-readiness verdict with every gate (guidance, not advice)."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import streamlit as st

from core import planning_service as ps
from pages import common

log = logging.getLogger(__name__)
KIND_LABELS = {"emergency_fund": "Emergency fund", "short_term": "Short term (< 2 years)",
               "long_term": "Long term (> 2 years)"}


def _plan_table(plan: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame({"goal": plan["name"]})
    if {"saved", "target", "target_date"} <= set(plan.columns):  # the stored goals
        table["saved"] = [f"{common.money(s)} of {common.money(t)}"
                          for s, t in zip(plan["saved"], plan["target"], strict=True)]
        table["deadline"] = plan["target_date"].map(
            lambda d: "none" if d is None or pd.isna(d) else f"{d:%b %Y}")
    return table.assign(**{
        "monthly": plan["allocation"].map(common.money),
        "expected": plan["expected_completion"].map(lambda d: "—" if pd.isna(d) else f"{d:%b %Y}"),
        "confidence": plan["confidence"].map(lambda c: "—" if pd.isna(c) else f"{c:.0%}"),
        "status": plan["status"].fillna("waiting for the job").str.replace("_", " "),
        "why": plan["explanation"].fillna("")})


def _goal_form(prefix: str, row: object | None = None) -> dict | None:
    """Fields of a goal; returns them when the form is submitted."""
    with st.form(f"{prefix}_form"):  # kept on a refused save; a new goal's form is reset after
        name = st.text_input("Name", value=getattr(row, "name", ""), key=f"{prefix}_name")
        kinds = list(KIND_LABELS)
        kind = st.selectbox("Kind", kinds, format_func=KIND_LABELS.get, key=f"{prefix}_kind",
                            index=kinds.index(getattr(row, "kind", "short_term")))
        c1, c2, c3 = st.columns(3)
        target = c1.number_input("Target", min_value=1.0, step=100.0, key=f"{prefix}_target",
                                 value=float(getattr(row, "target", 1000.0)))
        saved = c2.number_input("Saved so far", min_value=0.0, step=100.0, key=f"{prefix}_saved",
                                value=float(getattr(row, "saved", 0.0)))
        priority = c3.number_input("Priority (1 = highest)", 1, 5, key=f"{prefix}_priority",
                                   value=int(getattr(row, "priority", 3)))
        current = getattr(row, "target_date", None)
        has_date = st.checkbox("Has a target date", key=f"{prefix}_has_date",
                               value=row is None or not pd.isna(current))
        date = st.date_input("Target date", key=f"{prefix}_date", value=(
            current if current is not None and not pd.isna(current)
            else dt.date.today() + dt.timedelta(days=365)))
        monthly = st.number_input("Fixed monthly amount (0 = let the planner choose)",
                                  min_value=0.0, step=10.0, key=f"{prefix}_monthly",
                                  value=float(0 if pd.isna(getattr(row, "monthly", None))
                                              else row.monthly))
        if st.form_submit_button("Save goal"):
            return {"name": name, "kind": kind, "target": target, "saved": saved,
                    "priority": int(priority), "target_date": date if has_date else None,
                    "monthly": monthly or None}
    return None


def _save(goal_id: str | None, fields: dict) -> bool:
    """Save a goal; a bad value is shown (with its field) and nothing is written."""
    try:
        with common.session() as conn:
            ps.save_goal(conn, goal_id, **fields)
    except ps.GoalError as exc:
        st.error(f"The goal was not saved: {exc}")
        return False
    return True


def _pick(label: str, goals: pd.DataFrame, key: str) -> str:
    """A goal chosen by name (names made unique); returns its id."""
    names = ps.unique_labels(goals["name"])
    chosen = st.selectbox(label, names, key=key)
    return str(goals["id"].iloc[names.index(chosen)])


def _what_if(goals: pd.DataFrame) -> None:
    st.subheader("What if")
    gid = _pick("Goal", goals, "whatif_goal")
    row = goals.loc[goals["id"] == gid].iloc[0]
    c1, c2, c3 = st.columns(3)
    target = c1.number_input("Target", min_value=1.0, step=100.0, value=float(row["target"]),
                             key=f"whatif_target_{gid}")
    date = c2.date_input("Date (empty: no deadline)", key=f"whatif_date_{gid}", value=(
        None if pd.isna(row["target_date"]) else row["target_date"]))
    monthly = c3.number_input("Monthly amount (0 = planner's choice)", min_value=0.0, step=10.0,
                              value=float(0 if pd.isna(row["monthly"]) else row["monthly"]),
                              key=f"whatif_monthly_{gid}")
    with common.session() as conn:
        plan = ps.what_if(conn, {gid: {"target": target, "target_date": date,
                                       "monthly": monthly or None}})
    st.dataframe(_plan_table(plan), hide_index=True, key="whatif_plan")


def _readiness(ready: dict | None) -> None:
    st.subheader("Investment readiness")
    if not ready:
        st.info("The readiness check appears after the job process has run.")
        st.warning(ps.DISCLAIMER)
        return
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Readiness score", f"{ready['score']:.0f} / 100")
    c2.metric("Eligible", "Yes" if ready["eligible"] else "Not yet")
    c3.metric("Investable a month", common.money(ready["investable_monthly"]))
    c4.metric("Horizon / instrument", f"{ready['horizon_years']:g} years · {ready['instrument']}"
              if ready["eligible"] and ready["instrument"] else "—")
    for g in ready["gates"]:
        mark = ":green[**passed**]" if g["passed"] else ":red[**failed**]"
        value = "—" if g["value"] is None else f"{g['value']:g}"
        st.write(f"{mark} · **{g['name'].replace('_', ' ')}**: {g['text']} (value {value})")
    st.write(ready["explanation"])
    st.warning(ready["disclaimer"])


def render() -> None:
    common.require_user()
    st.title("Goals")
    common.freshness_notice()
    with common.session() as conn:
        goals = ps.goals(conn)
        ready = ps.readiness(conn)
    if goals.empty:
        st.info("No goals yet: add one below.")
    else:
        st.subheader("Your plan")
        st.dataframe(_plan_table(goals), hide_index=True, key="goal_plans")
        st.caption("Plans are recomputed by the job process after every change and each month.")
        _what_if(goals)
    with st.expander("Add a goal", expanded=goals.empty):
        new = _goal_form("add")
        if new and _save(None, new):
            for key in [k for k in st.session_state if str(k).startswith("add_")]:
                del st.session_state[key]
            st.rerun()
    if not goals.empty:
        with st.expander("Edit or delete a goal"):
            gid = _pick("Goal to edit", goals, "edit_goal")
            row = goals.loc[goals["id"] == gid].iloc[0]
            changed = _goal_form(f"edit_{gid}", row)
            if changed and _save(gid, changed):
                st.rerun()
            if st.button("Delete this goal", key=f"delete_{gid}"):
                with common.session() as conn:
                    ps.delete_goal(conn, gid)
                st.rerun()
    _readiness(ready)


render()
