"""Operator status: per stage the last run, its status and rows written; installation counts.

Read through the job role (``pfm_job_worker``): run records from ``pipeline.job_runs`` and
counts from the ``pipeline.installation_counts()`` aggregate function — never a user's rows.
"""

from __future__ import annotations

import logging
from typing import Any

from core.db import Database

log = logging.getLogger(__name__)


def status(db: Database) -> dict[str, Any]:
    """``{"stages": {stage: {...}}, "counts": {...}, "users_failing": n, "users_pending": n}``."""
    with db.job_session() as conn:
        stages = {}
        for row in conn.execute("""
                select distinct on (stage) stage, started_at, finished_at, status, rows_written,
                       model_version, error,
                       (select count(*) from pipeline.job_runs f where f.stage = r.stage
                          and f.status = 'failed' and f.started_at > now() - interval '1 day')
                from pipeline.job_runs r order by stage, started_at desc""").fetchall():
            stage, started, finished, st, rows, version, error, failures_24h = row
            stages[stage] = {"last_run": started.isoformat(), "finished": finished and finished.isoformat(),
                             "status": st, "rows_written": rows, "model_version": version,
                             "error": error, "failures_24h": failures_24h}
        names = ["users", "transactions", "categorized", "needs_review", "recurring", "anomalies",
                 "alerts_open", "forecasts"]
        counts = dict(zip(names, conn.execute("select * from pipeline.installation_counts()").fetchone(),
                          strict=True))
        failing, pending = conn.execute(
            "select count(*) filter (where last_status = 'failed'),"
            " count(*) filter (where dirty_seq > processed_seq) from pipeline.user_state").fetchone()
    return {"stages": stages, "counts": {k: int(v) for k, v in counts.items()},
            "users_failing": failing, "users_pending": pending}


def format_status(report: dict[str, Any]) -> str:
    lines = ["stage        last run                   status     rows  version"]
    for stage, s in sorted(report["stages"].items()):
        lines.append(f"{stage:<12} {s['last_run'][:19]:<26} {s['status']:<10} {s['rows_written']:>5}"
                     f"  {s['model_version'] or ''}" + (f"\n  error: {s['error']}" if s["error"] else ""))
    if not report["stages"]:
        lines.append("(no runs yet)")
    lines.append("")
    lines += [f"{k:<14} {v:>10,}" for k, v in report["counts"].items()]
    lines.append(f"{'users pending':<14} {report['users_pending']:>10,}")
    lines.append(f"{'users failing':<14} {report['users_failing']:>10,}")
    return "\n".join(lines)
