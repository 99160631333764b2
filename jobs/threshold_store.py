"""Keep the auto-apply threshold the categorizer measured, where its user can read it.

:func:`remember` stores, after each fit, the threshold ``TransactionCategorizer`` measured on
the user's replayed history (``auto_apply_threshold_``: what "Automatic" applies) and how many
labeled rows it learned from, in the user's ``pipeline.user_state`` row (columns of migration
``20261206200000_category_management``), as the least-privilege ``pfm_job_worker``. The
Settings page reads the user's own through ``private.my_categorizer_threshold()``
(:mod:`core.auto_apply`), so it shows the threshold actually in use, not a promise.
"""

from __future__ import annotations

import logging

from jobs.context import StageContext

log = logging.getLogger(__name__)


def remember(ctx: StageContext, threshold: float, labels: int) -> None:
    """Store the measured threshold (a probability; 1.0 = nothing is applied) of this fit."""
    with ctx.writer() as conn:
        conn.execute("""
            insert into pipeline.user_state (user_id, model_threshold, model_threshold_labels,
                                             model_threshold_at)
            values (%s, %s, %s, now())
            on conflict (user_id) do update set model_threshold = excluded.model_threshold,
                model_threshold_labels = excluded.model_threshold_labels,
                model_threshold_at = excluded.model_threshold_at""",
                     [str(ctx.user_id), min(max(float(threshold), 0.0), 1.0), int(labels)])
    log.debug("user %s: measured auto-apply threshold %.3f on %d labels", ctx.user_id,
              threshold, labels)
