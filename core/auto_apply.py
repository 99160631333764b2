"""The auto-apply threshold in use for the signed-in user, as Settings shows it.

A predicted category is filed without asking when its confidence reaches the threshold: the
user's own (``profiles.auto_apply_threshold``, see :mod:`core.preferences`), else the ones the
categorizer measured at its last fit (``jobs/categorize``:
:func:`ml.calibration.thresholds_by_merchant` on the user's replayed history — the lowest
confidence at which its guesses were at least 95% right, for merchants filed before and, apart,
for new merchants; its fallback :data:`ml.calibration.DEFAULT_THRESHOLD` while fewer than 50
decisions can be replayed, and for new merchants while fewer than 200 of their guesses can,
:mod:`ml.replay`; 1.0, i.e. nothing is filed without asking, when no level reached 95%).
The job keeps those measurements in ``pipeline.user_state``;
``private.my_categorizer_threshold()`` (migrations ``20261206200000_category_management`` and
``20261207100000_new_merchant_threshold``) returns the caller's own. Before the first fit the
categorizer's fallback applies, and this module says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import psycopg

from core.preferences import current
from ml.calibration import DEFAULT_THRESHOLD, NEVER

log = logging.getLogger(__name__)

HELD_NOTE = (" Whatever the level, a merchant you have not filed yet waits when only its amount,"
             " timing or wording points to a category.")
"""The categorizer's hold (``TransactionCategorizer.held_back``), said where the level is."""

MIN_DECISIONS = 50
"""Decisions needed before precision is measured (``threshold_for_precision(min_samples=50)``)."""


@dataclass(frozen=True)
class AppliedThreshold:
    value: float  # predictions at least this sure are filed without asking (1.0: none are)
    source: str  # "custom", "measured", "default" (too few decisions), "never", "pending"
    decisions: int  # the user's decisions the categorizer learns from (at its last fit)
    automatic: float | None = None  # what Automatic uses (measured), when known
    measured_at: dt.datetime | None = None
    new_merchant: float | None = None  # Automatic's level for merchants not filed yet, if known

    def describe(self) -> str:
        """A sentence or two for the Settings page."""
        if self.source == "custom":
            extra = ""
            if self.automatic is not None and self.automatic < NEVER:
                new = (f" (≥ {self.new_merchant:.0%} for a new merchant)"
                       if self.new_merchant is not None and self.new_merchant < NEVER else "")
                extra = f" Automatic would apply at ≥ {self.automatic:.0%}{new}."
            return f"Currently applied at ≥ {self.value:.0%} (your setting).{extra}{HELD_NOTE}"
        few = f": {self.decisions:,} of {MIN_DECISIONS}" if self.decisions < MIN_DECISIONS else ""
        why = {"default": f"not enough of your decisions yet to measure precision{few}",
               "never": "at no confidence were the model's earlier guesses for you 95% right yet",
               "measured": f"measured on {self.decisions:,} of your decisions",
               "pending": f"until the categorizer next runs and measures it on your "
                          f"{self.decisions:,} decisions"}[self.source]
        if self.value >= NEVER:
            return (f"Currently nothing is filed without asking ({why}): every guess waits in "
                    "Needs review.")
        return (f"Currently applied at ≥ {self.value:.0%} ({why}).{self._new_merchant()}"
                f"{HELD_NOTE}")

    def _new_merchant(self) -> str:
        """What Automatic does with a merchant the user has not filed yet (measured apart:
        the model's guesses for new merchants are right far less often)."""
        if self.source != "measured" or self.new_merchant is None:
            return ""
        if self.new_merchant >= NEVER:
            return (" Guesses for a merchant you have not filed yet wait in Needs review: the"
                    " model's earlier guesses for new merchants were not shown 95% right yet"
                    " (that takes some 200 of them).")
        return (f" For a merchant you have not filed yet: at ≥ {self.new_merchant:.0%},"
                " measured on its guesses for new merchants alone.")


def _decisions(conn: psycopg.Connection) -> int:
    """What the categorizer learns from: rows the user or a rule filed under a category."""
    return conn.execute("""
        select count(*) from public.transactions t
        join public.categories c on c.id = t.category_id and c.parent_id is not null
        where t.category_source in ('user', 'rule') and not t.excluded""").fetchone()[0]


def applied_threshold(conn: psycopg.Connection) -> AppliedThreshold:
    """The threshold the job applies for the signed-in user, and why."""
    row = conn.execute("select threshold, threshold_new, labels, measured_at"
                       " from private.my_categorizer_threshold()").fetchone()
    measured, new, labels, at = ((float(row[0]), None if row[1] is None else float(row[1]),
                                  int(row[2] or 0), row[3]) if row else (None, None, 0, None))
    custom = current(conn).auto_apply_threshold
    if custom is not None:
        return AppliedThreshold(custom, "custom", labels, measured, at, new)
    if measured is None:
        n = _decisions(conn)
        return AppliedThreshold(DEFAULT_THRESHOLD, "pending" if n >= MIN_DECISIONS else "default",
                                n)
    if labels < MIN_DECISIONS:  # the categorizer's fallback (too little to replay)
        return AppliedThreshold(measured, "default", labels, measured, at)
    if measured >= NEVER:
        return AppliedThreshold(measured, "never", labels, measured, at, new)
    return AppliedThreshold(measured, "measured", labels, measured, at, new)
