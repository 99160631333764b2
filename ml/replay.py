"""Fitting the categorizer on the user's own history, replayed in time order.

:func:`replay_fit` is the learning step of :class:`ml.categorizer.TransactionCategorizer`:

1. The most recent ``max_replay_rows`` labeled rows are cut into ``n_blocks`` time blocks.
   Each block is scored from the blocks before it, as new transactions are scored from the
   history before them (at most ``max_meta_rows`` rows scored in all, drawn at random within a
   block).
2. The conditional logit's weights (:func:`ml.logit.fit_weights`) are fitted by maximum
   likelihood on those scores, later blocks weighing more (they look most like prediction
   time: a long history), shrunk towards the built-in defaults.
3. With those weights, the temperature of new merchants' scores is fitted
   (:mod:`ml.temperature`).
4. The replayed guesses, scored with both, give the auto-apply thresholds for 95% precision,
   apart for merchants filed before and for new ones
   (:func:`ml.calibration.thresholds_by_merchant`); the new merchants' only once
   :data:`MIN_NEW_GUESSES` of their guesses were replayed.

Fallback (tested through the categorizer): no block has a candidate category (say, every row
but the last is of a category only the last block shows, and no category list was given) ->
the state's weights as they are, temperature 1 and :data:`ml.calibration.DEFAULT_THRESHOLD`
for both kinds of merchant (nothing auto-applied). Pure: no IO.
"""

from __future__ import annotations

import logging

import numpy as np

from ml.calibration import DEFAULT_THRESHOLD, MAX_CONFIDENCE, thresholds_by_merchant
from ml.logit import fit_weights, softmax_parts
from ml.model_state import State
from ml.temperature import new_merchant_temperature

log = logging.getLogger(__name__)

Fit = tuple[np.ndarray, float, tuple[float, float]]
"""What a replay fit gives: weights, new-merchant temperature, (known, new) thresholds."""
MIN_NEW_GUESSES = 200
"""Replayed guesses for new merchants needed before their level is measured. The replay is
kinder to them than predictions are (its weights were fitted on those very rows): measured
with 50, as for known merchants, the level let new merchants' guesses through that were 91%
right on the real ZA file (33 rows), 77-79% on O'Connor's (14-17) and 73% on the demo
household (33), where the Australian file's, measured on thousands, held at 94-96%."""


def replay_fit(st: State, reg: float = 1.0, n_meta_blocks: int = 8, max_meta_rows: int = 3000,
               max_replay_rows: int = 20_000, random_state: int = 0,
               min_new_guesses: int = MIN_NEW_GUESSES) -> Fit:
    """Weights, new-merchant temperature and auto-apply thresholds fitted on ``st``'s
    history replayed in time order (see the module docstring; other parameters as the
    categorizer's). With fewer than ``min_new_guesses`` replayed guesses for new merchants
    their level is :data:`~ml.calibration.DEFAULT_THRESHOLD` (none is applied)."""
    n = st.n_rows
    start = max(0, n - max_replay_rows)
    n_blocks = min(n_meta_blocks, max(2, (n - start) // 5))
    edges = np.linspace(start, n, n_blocks + 1).astype(int)
    cap = max(1, max_meta_rows // n_blocks)
    rng = np.random.default_rng(random_state)
    parts: list[tuple[np.ndarray, ...]] = []
    for b in range(n_blocks):
        lo, hi = edges[b], edges[b + 1]
        if hi <= lo or not (lo > start or st.fixed_mask.any()):  # no candidate class
            continue
        q = np.arange(lo, hi)
        if len(q) > cap:
            q = np.sort(rng.choice(q, cap, replace=False))
        feats, novel, mask, target, known = st.scored_block(st.history_of(np.arange(start, lo)),
                                                            q)
        # later blocks look most like prediction time (a long history): weigh them more
        parts.append((feats, novel, np.tile(mask, (len(q), 1)), target,
                      np.full(len(q), (b + 1) / n_blocks), known))
    if not parts:
        log.debug("replay: no block with a candidate category; built-in weights kept")
        return st.weights, 1.0, (DEFAULT_THRESHOLD, DEFAULT_THRESHOLD)
    feats, novel, mask, target, rw, known = (np.concatenate(p) for p in zip(*parts, strict=True))
    weights = fit_weights(feats, novel, mask, target, reg, rw)
    temp = new_merchant_temperature(st, weights, rng)
    real = np.minimum(softmax_parts(weights, feats, novel, mask,
                                    np.where(known, 1.0, 1.0 / temp))[:, :-1], MAX_CONFIDENCE)
    return weights, temp, thresholds_by_merchant(target, real.argmax(axis=1), real.max(axis=1),
                                                 known, min_new_samples=min_new_guesses)
