"""Keep the auto-apply thresholds the categorizer measured, where its user can read them.

:func:`remember` stores, after each fit, the thresholds ``TransactionCategorizer`` measured on
the user's replayed history (``auto_apply_threshold_`` for merchants filed before and
``new_merchant_threshold_`` for new ones: what "Automatic" applies) and how many labeled rows
it learned from, in the user's ``pipeline.user_state`` row (columns of migrations
``20261206200000_category_management`` and ``20261207100000_new_merchant_threshold``), as the
least-privilege ``pfm_job_worker``. The
Settings page reads the user's own through ``private.my_categorizer_threshold()``
(:mod:`core.auto_apply`), so it shows the threshold actually in use, not a promise.
"""

from __future__ import annotations

import logging

from jobs.context import StageContext

log = logging.getLogger(__name__)


def remember(ctx: StageContext, threshold: float, new_merchant: float, labels: int) -> None:
    """Store the measured thresholds (probabilities; 1.0 = nothing is applied) of this fit:
    for merchants the user filed before and for new ones."""
    with ctx.writer() as conn:
        conn.execute("""
            insert into pipeline.user_state (user_id, model_threshold, model_threshold_new,
                                             model_threshold_labels, model_threshold_at)
            values (%s, %s, %s, %s, now())
            on conflict (user_id) do update set model_threshold = excluded.model_threshold,
                model_threshold_new = excluded.model_threshold_new,
                model_threshold_labels = excluded.model_threshold_labels,
                model_threshold_at = excluded.model_threshold_at""",
                     [str(ctx.user_id), _probability(threshold), _probability(new_merchant),
                      int(labels)])
    log.debug("user %s: measured auto-apply thresholds %.3f (known merchants), %.3f (new) on"
              " %d labels", ctx.user_id, threshold, new_merchant, labels)


def _probability(value: float) -> float:
    return min(max(float(value), 0.0), 1.0)
