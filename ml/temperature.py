"""How sure to be about a merchant the user has never filed: one temperature for its guesses.

The categorizer's weights are fitted on the user's history replayed in time order
(:func:`ml.replay.replay_fit`): each replayed block is scored from
the blocks before it, so it saw a *shorter* history than a prediction made now. For a merchant
filed before that hardly matters (its own filings decide), but a new merchant's guess rests on
its likeness to everything else the user filed, and that evidence gets better as the history
grows. So the replay leaves new merchants' guesses under-confident: on the real ZA file with its
category names known they averaged 0.49 confidence and were right 60% of the time.

:func:`held_out_logits` scores the recent history merchant by merchant from all the *other*
merchants (merchant folds): every scored row is a new merchant, seen from a history nearly as
long as the one predictions get. :func:`fit_temperature` fits one temperature ``T`` by maximum
likelihood on those scores, shrunk towards 1, and the categorizer scores a row whose merchant it
has never seen as ``softmax(z / T)`` (``T < 1``: surer, ``T > 1``: less sure). It does not
change which category is guessed, only how sure the guess is, and it leaves known merchants
alone.

Fallbacks (each tested): fewer than ``2 * folds`` distinct merchants in the window, or no
labeled rows, -> ``T = 1`` (the replay's scores as they are).
"""

from __future__ import annotations

import logging

import numpy as np

from ml.logit import logits
from ml.model_state import State

log = logging.getLogger(__name__)

FOLDS = 4
"""Merchant folds: each is scored from the other three (a history 3/4 as long as the window)."""
PER_FOLD = 200
"""At most this many rows scored per fold (chosen at random)."""
MAX_ROWS = 5000
"""The window: the most recent rows (the cost stays flat for a power user's 100,000 rows)."""
SHRINK = 20.0
"""Strength of the pull towards T = 1: ``SHRINK / 2 * log(T)^2`` is added to the negative
log-likelihood (a Gaussian prior on log T with standard deviation ~0.22)."""
GRID = np.exp(np.linspace(np.log(0.4), np.log(2.5), 41))
"""The temperatures tried (a one-dimensional fit: a grid is exact enough and never fails)."""


def held_out_logits(st: State, weights: np.ndarray, rng: np.random.Generator,
                    folds: int = FOLDS, per_fold: int = PER_FOLD,
                    max_rows: int = MAX_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Scores ``(rows, C+1)`` of recent history rows, each from a history without its
    merchant, and their true classes (C: the novel candidate). Empty with fewer than
    ``2 * folds`` distinct merchants in the window."""
    n = st.n_rows
    window = np.arange(max(0, n - max_rows), n)
    keys = st.rows.key_code[window]
    merchants = np.unique(keys)
    if len(merchants) < 2 * folds:
        return np.zeros((0, len(st.classes) + 1)), np.zeros(0, dtype=int)
    fold_of = np.zeros(int(merchants.max()) + 1, dtype=int)
    fold_of[merchants] = rng.permutation(len(merchants)) % folds
    fold = fold_of[keys]
    scores, targets = [], []
    for f in range(folds):
        q = window[fold == f]
        if len(q) > per_fold:
            q = np.sort(rng.choice(q, per_fold, replace=False))
        feats, novel, mask, target, _ = st.scored_block(st.history_of(window[fold != f]), q)
        scores.append(logits(weights, feats, novel, np.tile(mask, (len(q), 1))))
        targets.append(target)
    return np.concatenate(scores), np.concatenate(targets)


def fit_temperature(scores: np.ndarray, target: np.ndarray, shrink: float = SHRINK) -> float:
    """The temperature of :data:`GRID` that maximizes the log-likelihood of ``target`` under
    ``softmax(scores / T)`` less ``shrink / 2 * log(T)^2``; 1.0 without rows."""
    if not len(target):
        return 1.0
    z = scores - scores.max(axis=1, keepdims=True)
    rows = np.arange(len(target))
    best_t, best = 1.0, -np.inf
    for t in GRID:
        zt = z / t
        with np.errstate(invalid="ignore"):  # -inf / t stays -inf: no candidate
            ll = (zt[rows, target] - np.log(np.exp(zt).sum(axis=1))).sum()
        ll -= 0.5 * shrink * np.log(t) ** 2
        if ll > best:
            best_t, best = float(t), ll
    return best_t


def new_merchant_temperature(st: State, weights: np.ndarray, rng: np.random.Generator) -> float:
    """:func:`fit_temperature` of :func:`held_out_logits` (1.0 in the fallbacks)."""
    scores, target = held_out_logits(st, weights, rng)
    t = fit_temperature(scores, target)
    log.debug("new-merchant temperature %.2f from %d held-out rows", t, len(target))
    return t
