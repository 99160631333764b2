"""Every procrastinate App the process makes has the pipeline tasks under their names (one
shared blueprint used to be renamed in place by the first App, breaking the second)."""

from __future__ import annotations

from jobs.queue import make_app


def test_each_app_has_the_pipeline_tasks(db) -> None:
    first, second = make_app(db), make_app(db)
    for app in (first, second):
        assert {"pfm:run_user_pipeline", "pfm:deliver_alerts"} <= set(app.tasks)
    assert first.tasks["pfm:run_user_pipeline"] is not second.tasks["pfm:run_user_pipeline"]
