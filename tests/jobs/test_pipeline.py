"""The pipeline on real demo households in the real database: outputs, idempotency, verdicts,
failure isolation."""

from __future__ import annotations

import pytest

from core.config import Settings
from core.db import Database
from jobs import pipeline, stages
from jobs.scheduler import pending_user_ids


def _snapshot(db: Database, user) -> dict:
    with db.user_session(user) as conn:
        return {
            "features": conn.execute(
                "select month, income, spend from monthly_features order by month").fetchall(),
            "series": conn.execute("select id, series_key, next_date, status from recurring_series"
                                   " order by series_key").fetchall(),
            "anomalies": conn.execute(
                "select alert_key, risk, reason from anomalies order by alert_key").fetchall(),
            "alerts": conn.execute("select id, alert_key, status from alerts order by alert_key").fetchall(),
        }


def test_demo_household_outputs(db: Database, settings: Settings, household_user) -> None:
    user = household_user()
    assert str(user.id) in pending_user_ids(db)
    result = pipeline.run_user(db, settings, user.id)
    assert result["patterns"] >= 24 and result["recurring"] >= 5 and result["anomalies"] >= 3
    assert str(user.id) not in pending_user_ids(db)
    with db.user_session(user) as conn:
        netflix = conn.execute("select cadence, price_change from recurring_series"
                               " where merchant ilike 'netflix%'").fetchone()
        reasons = [r[0] for r in conn.execute("select reason from anomalies where risk = 'high'")]
        alerts = conn.execute("select type, title from alerts").fetchall()
    assert netflix[0] == "monthly" and netflix[1]["rise"] and netflix[1]["to"] < netflix[1]["from"] < 0
    assert reasons and all("usual" in r or "twice" in r or "first" in r.lower() or "charges" in r
                           for r in reasons), reasons
    assert any(t == "price_rise" and "Netflix" in title for t, title in alerts), alerts


def test_rerun_converges_to_the_same_rows(db: Database, settings: Settings, household_user) -> None:
    user = household_user(seed=11)
    pipeline.run_user(db, settings, user.id)
    first = _snapshot(db, user)
    with db.user_session(user) as conn:  # the user snoozes one alert and dismisses a series
        conn.execute("update alerts set status = 'dismissed' where id = %s", [first["alerts"][0][0]])
        conn.execute("update recurring_series set user_status = 'dismissed' where id = %s",
                     [first["series"][0][0]])
    pipeline.run_user(db, settings, user.id)
    second = _snapshot(db, user)
    assert second["features"] == first["features"]
    assert [s[:3] for s in second["series"]] == [s[:3] for s in first["series"]]
    assert second["anomalies"] == first["anomalies"]
    assert [a[:2] for a in second["alerts"]] == [a[:2] for a in first["alerts"]]
    assert second["alerts"][0][2] == "dismissed"
    with db.user_session(user) as conn:
        kept = conn.execute("select user_status from recurring_series where id = %s",
                            [first["series"][0][0]]).fetchone()[0]
    assert kept == "dismissed"


def test_expected_verdict_stops_the_alerting(db: Database, settings: Settings, household_user) -> None:
    user = household_user(seed=5)
    pipeline.run_user(db, settings, user.id)
    with db.user_session(user) as conn:
        key, tx, kind, merchant = conn.execute(
            "select a.alert_key, a.transaction_id, a.kind, t.merchant from anomalies a"
            " join transactions t on t.id = a.transaction_id order by a.score desc limit 1").fetchone()
        conn.execute("insert into anomaly_verdicts (alert_key, transaction_id, merchant, kind, verdict)"
                     " values (%s, %s, %s, %s, 'expected')", [key, tx, merchant, kind])
    assert str(user.id) in pending_user_ids(db), "a verdict marks the user dirty"
    pipeline.run_user(db, settings, user.id)
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from anomalies where alert_key = %s", [key]).fetchone()[0] == 0


def test_failing_user_is_recorded_and_does_not_block_others(
        db: Database, settings: Settings, household_user, monkeypatch) -> None:
    good, bad = household_user(seed=21, months=6), household_user(seed=22, months=6)
    real = stages.patterns

    def fails_for_bad(ctx):  # fault injected into one user's stage
        if ctx.user_id == bad.id:
            raise RuntimeError("disk on fire")
        return real(ctx)

    monkeypatch.setattr(stages, "patterns", fails_for_bad)
    for user in (bad, good):
        try:
            pipeline.run_user(db, settings, user.id)
        except RuntimeError:
            assert user is bad
    with db.job_session() as conn:
        state = dict(conn.execute("select user_id::text, last_status from pipeline.user_state"
                                  " where user_id = any(%s)", [[str(good.id), str(bad.id)]]).fetchall())
        error = conn.execute("select error from pipeline.job_runs where user_id = %s and status = 'failed'",
                             [str(bad.id)]).fetchone()[0]
        retry = conn.execute("select next_retry_at > now() from pipeline.user_state where user_id = %s",
                             [str(bad.id)]).fetchone()[0]
    assert state == {str(good.id): "succeeded", str(bad.id): "failed"}
    assert "disk on fire" in error and retry
    assert str(bad.id) not in pending_user_ids(db), "backoff: not retried before next_retry_at"
    with db.user_session(good) as conn:
        assert conn.execute("select count(*) from monthly_features").fetchone()[0] >= 6


@pytest.mark.parametrize("months", [1])
def test_one_month_of_data_runs_every_stage(db: Database, settings: Settings, household_user,
                                            months: int) -> None:
    user = household_user(seed=3, months=months)
    result = pipeline.run_user(db, settings, user.id)
    assert set(result) == {"categorize", "patterns", "recurring", "anomalies", "planning", "alerts",
                           "deliver"}
    assert result["patterns"] >= 1
