"""``TransactionCategorizer``: categories with calibrated confidence and a short explanation.

How it decides (see :mod:`ml.candidates` for the evidence):

1. Every known category is a *candidate*, plus one "a category not seen yet" candidate.
2. Each (transaction, candidate) pair gets features: the user's exact-merchant memory (label
   counts and the latest label for the same merchant key); sentence-embedding cosine to the
   nearest earlier description filed under the category and to the category's centroid;
   cosine to the category's word 1-2-gram and character 3-5-gram centroids and a naive-Bayes
   model of its character n-grams; similarity of the
   description to the category name; the built-in prior (keyword lexicon + category
   descriptions) mapped onto the user's categories through how they filed similar things;
   optionally the shared prior (how consenting users file the merchant, ``shared_prior``),
   mapped the same way and only for merchants the user has no history for;
   category frequency and breadth; amount sign, log-amount, day-of-month, weekday and
   account fit.
3. A conditional logit (one shared weight per feature, weights >= 0 for evidence) turns them
   into probabilities. Its weights are fitted by maximum likelihood on the user's own history
   replayed in time order (each block of rows scored from the blocks before it, as new
   transactions are; :mod:`ml.replay`), shrunk towards built-in defaults, so the
   probabilities are calibrated for the situation they are used in. The novel candidate
   keeps some probability for transactions unlike anything seen, which keeps confidence
   honest.
4. A merchant the user has never filed is scored with one more fitted number, a temperature
   (:mod:`ml.temperature`): the replay saw shorter histories than predictions do, which left
   such guesses under-confident; scoring recent merchants from all the others measures how
   sure they should be.

Fallbacks: no labels (or never fitted) -> the built-in prior only (default taxonomy, keyword
lexicon, category descriptions) with low confidence unless a distinctive keyword matches; one
category -> that category, confidence from how similar the transaction is to the history; a
handful of rows -> weights stay close to the defaults.
"""
# ruff: noqa: N803, N806  (scikit-learn names: X is the feature frame)
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ml import candidates as cd
from ml import history as hs
from ml.calibration import DEFAULT_THRESHOLD, MAX_CONFIDENCE, NEVER, threshold_for_precision
from ml.embeddings import Embedder, EmbeddingCache
from ml.explain import NOT_WHAT_IT_IS, reasons
from ml.model_state import (
    State,
    build_state,
    embedded_texts,
    known_merchants,
    prepare_rows,
    prior_state,
)
from ml.replay import replay_fit

log = logging.getLogger(__name__)

__all__ = ["MAX_CONFIDENCE", "MODEL_VERSION", "TransactionCategorizer", "threshold_for_precision"]

MODEL_VERSION = "categorizer-1"
_NF = len(cd.FEATURES)


class TransactionCategorizer(BaseEstimator):
    """Predicts a category, a calibrated confidence and an explanation per transaction.

    Parameters
    ----------
    embedder: an :class:`~ml.embeddings.Embedder` (``None``: the default model).
    embedding_cache: where embeddings are looked up and stored (see below for the key).
    prior: use the built-in lexicon and category descriptions (``False``: history only;
        an unfitted model then spreads its probability evenly).
    categories: the user's category names (the label space even before any label exists);
        ``None``: the labels seen in ``y`` (the default taxonomy when there are none).
    shared_prior: other users' filing of merchants, ``{merchant key: {default category
        name: share of users}}`` (keys as :func:`ml.text.merchant_key` of the merchant, or of
        the description without one). Extra built-in evidence for merchants absent from the
        user's history; its weight is fitted with the others. ``None``: not used. Ignored
        with ``prior=False``.
    reg: strength of the pull of the feature weights towards the built-in defaults.
    n_meta_blocks, max_meta_rows, max_replay_rows: how the history is replayed to fit the
        weights: the most recent ``max_replay_rows`` rows in ``n_meta_blocks`` time blocks,
        at most ``max_meta_rows`` rows scored in all.

    Learned attributes: ``classes_`` (label space), ``n_labeled_``, ``weights_`` (feature
    name -> weight), ``auto_apply_threshold_`` and ``new_merchant_threshold_`` (confidence at
    which the replayed guesses for a merchant filed before / for a new merchant were
    >= 95% precise; 1.0 = never, also while too few can be replayed to measure it),
    ``new_merchant_temperature_`` (:mod:`ml.temperature`; 1.0 = none), ``model_version_`` and
    ``state_`` (everything predictions are computed from). The embedding cache is keyed by
    what gets embedded: :func:`ml.text.merchant_key` of the description without the words
    :mod:`ml.boilerplate` finds in the user's history (:meth:`embedding_keys`).
    """

    def __init__(self, embedder: Embedder | None = None,
                 embedding_cache: EmbeddingCache | None = None, prior: bool = True,
                 categories: Sequence[str] | None = None,
                 shared_prior: Mapping[str, Mapping[str, float]] | None = None, reg: float = 1.0,
                 n_meta_blocks: int = 8, max_meta_rows: int = 3000,
                 max_replay_rows: int = 20_000, random_state: int = 0) -> None:
        self.embedder = embedder
        self.embedding_cache = embedding_cache
        self.prior = prior
        self.categories = categories
        self.shared_prior = shared_prior
        self.reg = reg
        self.n_meta_blocks = n_meta_blocks
        self.max_meta_rows = max_meta_rows
        self.max_replay_rows = max_replay_rows
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _get_embedder(self) -> Embedder:
        return self.embedder if self.embedder is not None else Embedder()

    def fit(self, X: pd.DataFrame, y: Sequence[object] | pd.Series | None = None
            ) -> TransactionCategorizer:
        """Learn from labeled transactions ``X``; ``y`` holds their categories by position
        (rows with an empty/NaN label are ignored; no labels at all -> the prior)."""
        X = _check_frame(X)
        values = (np.full(len(X), None, dtype=object) if y is None
                  else y.to_numpy(dtype=object) if isinstance(y, pd.Series)
                  else np.asarray(list(y), dtype=object))
        labels = pd.Series(values, index=X.index, dtype=object)
        keep = labels.notna().to_numpy() & (labels.astype(str).str.strip() != "").to_numpy()
        X, labels = X.loc[keep], labels.loc[keep].astype(str)
        state = build_state(X, labels, self._get_embedder(), self.embedding_cache,
                            self.categories, self.prior, self.shared_prior)
        thresholds = (DEFAULT_THRESHOLD, DEFAULT_THRESHOLD)
        if len(labels) >= 2:
            state.weights, state.new_temperature, thresholds = replay_fit(
                state, self.reg, self.n_meta_blocks, self.max_meta_rows, self.max_replay_rows,
                self.random_state)
        self.state_ = state
        self.classes_ = np.array(state.classes, dtype=object)
        self.n_labeled_ = len(labels)
        self.weights_ = dict(zip((*cd.FEATURES, *cd.NOVEL_FEATURES), state.weights.tolist(),
                                 strict=True))
        self.new_merchant_temperature_ = state.new_temperature
        self.model_version_ = MODEL_VERSION
        self.auto_apply_threshold_, self.new_merchant_threshold_ = thresholds
        log.debug("categorizer fitted on %d labeled rows, %d classes", len(labels),
                 len(state.classes))
        return self

    # --------------------------------------------------------------- predicting
    def _state(self) -> State:
        st = getattr(self, "state_", None)
        if st is not None:
            return st
        cached = getattr(self, "_prior_cache", None)
        if cached is None:
            cached = prior_state(self._get_embedder(), self.embedding_cache, self.categories,
                                 self.prior, self.shared_prior)
            self._prior_cache = cached
        return cached

    def _score(self, X: pd.DataFrame, chunk: int = 8192
               ) -> tuple[State, hs.Rows, hs.TextBlock, np.ndarray, np.ndarray]:
        """Probabilities (rows, C+1; last = novel) and per-group evidence of the winner over
        the runner-up (rows, groups)."""
        st = self._state()
        rows, qtexts = prepare_rows(st, X, self._get_embedder(), self.embedding_cache)
        tids = np.arange(len(qtexts.texts))
        zs = (qtexts.emb @ st.class_emb.T if st.use_prior and len(tids)
              else np.zeros((len(tids), len(st.classes))))
        tf = cd.text_features(st.hist, st.texts.emb, qtexts, tids, zs, st.leaf_map, st.lex_map)
        w = dict(zip((*cd.FEATURES, *cd.NOVEL_FEATURES), st.weights.tolist(), strict=True))
        partials = cd.text_partials(tf, w)
        shared = st.shared_for(st.leaf_map)
        w_nov = st.weights[_NF:]
        probs = np.zeros((len(rows), len(st.classes) + 1))
        lead = np.zeros((len(rows), len(cd.GROUP_NAMES)))
        for s in range(0, len(rows), chunk):
            idx = np.arange(s, min(s + chunk, len(rows)))
            part = rows.take(idx)
            evidence = cd.score_rows(st.hist, part, partials, part.text_id, w, shared)
            z = np.concatenate([evidence.sum(axis=2),
                                (cd.novel_features(st.hist, part, tf, part.text_id)
                                 @ w_nov)[:, None]], axis=1)
            if st.new_temperature != 1.0:  # merchants never filed (ml.temperature)
                z[~cd.known_keys(st.hist, part)] /= st.new_temperature
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[:, :-1] = np.minimum(p[:, :-1], MAX_CONFIDENCE)
            probs[idx] = p
            real = p[:, :-1]
            best = real.argmax(axis=1)
            masked = real.copy()
            masked[np.arange(len(idx)), best] = -1.0
            second = masked.argmax(axis=1)
            ar = np.arange(len(idx))
            lead[idx] = evidence[ar, best] - (evidence[ar, second] if real.shape[1] > 1 else 0.0)
        return st, rows, qtexts, probs, lead

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(rows, len(classes_)) probabilities. Rows sum to at most 1: the rest is the
        probability that the transaction belongs to a category not seen yet."""
        X = _check_frame(X)
        if len(X) == 0:
            return np.zeros((0, len(self._state().classes)))
        return self._score(X)[3][:, :-1]

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """DataFrame aligned with ``X``: ``category``, ``confidence`` in [0, 1], ``explanation``."""
        X = _check_frame(X)
        if len(X) == 0:
            return pd.DataFrame({"category": pd.Series(dtype=object),
                                 "confidence": pd.Series(dtype=float),
                                 "explanation": pd.Series(dtype=object)}, index=X.index)
        return self._prediction(X, self._score(X))[0]

    def predict_for_review(self, X: pd.DataFrame, k: int = 3
                           ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
        """:meth:`predict`, :meth:`top_k` and :meth:`weak_reason` of ``X`` from one scoring
        of its rows (what the job stores for each new transaction)."""
        X = _check_frame(X)
        if len(X) == 0:
            return self.predict(X), self.top_k(X, k), np.zeros(0, dtype=bool)
        scored = self._score(X)
        pred, kinds = self._prediction(X, scored)
        return pred, self._top(X, scored[3][:, :-1], k), np.isin(kinds, list(NOT_WHAT_IT_IS))

    def _prediction(self, X: pd.DataFrame, scored: tuple) -> tuple[pd.DataFrame, np.ndarray]:
        st, rows, qtexts, probs, lead = scored
        real = probs[:, :-1]
        best = real.argmax(axis=1)
        conf = real[np.arange(len(best)), best]
        if real.shape[1] > 1:
            masked = real.copy()
            masked[np.arange(len(best)), best] = -1.0
            second = masked.argmax(axis=1)
        else:
            second = np.full(len(best), -1)
        expl, kinds = reasons(st, rows, qtexts, lead, best, second, conf)
        return pd.DataFrame({"category": np.asarray(st.classes, dtype=object)[best],
                             "confidence": np.clip(conf, 0.0, 1.0), "explanation": expl},
                            index=X.index), kinds

    def embedding_keys(self, X: pd.DataFrame) -> set[str]:
        """The texts embedded for ``X``'s descriptions (the embedding cache's keys): merchant
        keys without the fitted history's boilerplate words (:mod:`ml.boilerplate`)."""
        return embedded_texts(self._state(), _check_frame(X))

    def known_merchant(self, X: pd.DataFrame) -> np.ndarray:
        """Whether each row's merchant (its merchant key) is in the labeled history."""
        return known_merchants(self._state(), _check_frame(X))

    def auto_apply_thresholds(self, X: pd.DataFrame, level: float | None = None,
                              weak: np.ndarray | None = None,
                              known: np.ndarray | None = None) -> np.ndarray:
        """Per row, the confidence from which its prediction may be applied without asking:
        ``auto_apply_threshold_`` for a merchant filed before, ``new_merchant_threshold_``
        for a new one (both :data:`~ml.calibration.DEFAULT_THRESHOLD` before a fit), or the
        user's own ``level`` for both; and never (1.0) for a guess :meth:`held_back`,
        whatever the level (``weak`` and ``known`` as :meth:`predict_for_review` and
        :meth:`known_merchant` gave them)."""
        known = self.known_merchant(X) if known is None else np.asarray(known, dtype=bool)
        thr = np.full(len(known), level, dtype=float) if level is not None else np.where(
            known, getattr(self, "auto_apply_threshold_", DEFAULT_THRESHOLD),
            getattr(self, "new_merchant_threshold_", DEFAULT_THRESHOLD))
        return np.where(self.held_back(X, weak, known), NEVER, thr)

    def held_back(self, X: pd.DataFrame, weak: np.ndarray | None = None,
                  known: np.ndarray | None = None) -> np.ndarray:
        """Whether each row's guess is only a suggestion, however sure: a merchant never
        filed whose guess has a :meth:`weak_reason` (``weak`` and ``known`` as
        :meth:`predict_for_review` and :meth:`known_merchant` gave them). The job stores it
        with the row, so the review queue does not offer it as sure either."""
        known = self.known_merchant(X) if known is None else np.asarray(known, dtype=bool)
        weak = self.weak_reason(X) if weak is None else np.asarray(weak, dtype=bool)
        return ~known & weak

    def weak_reason(self, X: pd.DataFrame) -> np.ndarray:
        """Whether each row's reason says nothing about what the merchant is
        (:data:`ml.explain.NOT_WHAT_IT_IS`): amount and timing ("Amount and timing match your
        Fitness transactions"), only the direction of the money, or only how the text reads
        next to the category names ("Built-in guess: reads like Credit Card Payment"). For a
        merchant never seen such a guess is only a suggestion: a user's amounts and days
        carry over badly to another bank's statement (an Austrian insurer filed as Fitness at
        0.98 in the demo account), and the English-only encoder's reading of a foreign or
        bare line is a guess (income "SOFTWARE 13.9.2017" as a card repayment at 0.95)."""
        X = _check_frame(X)
        if len(X) == 0:
            return np.zeros(0, dtype=bool)
        return np.isin(self._prediction(X, self._score(X))[1], list(NOT_WHAT_IT_IS))

    def top_k(self, X: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        """The ``k`` most likely categories per row, aligned with ``X``: columns
        ``category_1, confidence_1, ..., category_k, confidence_k`` (None/0.0 when there are
        fewer than ``k`` categories)."""
        X = _check_frame(X)
        real = self.predict_proba(X) if len(X) else np.zeros((0, len(self._state().classes)))
        return self._top(X, real, k)

    def _top(self, X: pd.DataFrame, real: np.ndarray, k: int) -> pd.DataFrame:
        classes = np.asarray(self._state().classes, dtype=object)
        order = np.argsort(-real, axis=1, kind="stable")
        out: dict[str, Any] = {}
        for j in range(k):
            has = j < real.shape[1]
            idx = order[:, j] if has else np.zeros(len(X), dtype=int)
            out[f"category_{j + 1}"] = classes[idx] if has else [None] * len(X)
            out[f"confidence_{j + 1}"] = (real[np.arange(len(X)), idx] if has
                                          else np.zeros(len(X)))
        return pd.DataFrame(out, index=X.index)


def _check_frame(X: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError("X must be a pandas DataFrame")
    if "description" not in X.columns:
        raise ValueError("X needs a 'description' column")
    return X
