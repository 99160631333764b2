"""The fitted state of a :class:`ml.categorizer.TransactionCategorizer` and how rows enter it.

:func:`build_state` turns labeled transactions into a :class:`State`: the label space, the
distinct normalized history texts (embedded once each, through the embedding cache) with
their hashed word / character n-grams and lexicon hits, the history statistics of
:mod:`ml.history`, and the built-in prior mapped onto the user's categories.
:func:`prior_state` is the same for a user without labels. :func:`prepare_rows` turns a
query frame into :class:`~ml.history.Rows` plus the :class:`~ml.history.TextBlock` of
its distinct texts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ml import candidates as cd
from ml import history as hs
from ml.boilerplate import boilerplate_words, strip_words
from ml.embeddings import Embedder, EmbeddingCache
from ml.ngrams import ngram_rows
from ml.prior import (
    DEFAULT_CATEGORIES,
    EXPECTED_SIGN,
    SharedTable,
    category_text,
    category_words,
    lexicon_match,
    shared_table,
)
from ml.row_inputs import brand_of, dates_of, normalized, rows_of
from ml.text import english_channel, key_of_normalized, strip_location

log = logging.getLogger(__name__)

NAME_MATCH = 0.35
"""Name similarity (leaf text vs category name) below which a built-in leaf matches none of the
user's categories: ``_leaf_class_prior`` then spreads it instead of forcing the nearest name
(Fuel/Car 0.35, Pharmacy/Health and Medical 0.39, but Fuel/Food 0.25)."""
PRIOR_ZS, PRIOR_LEX = 20.0, 5.0  # the prior's leaf guess: softmax(20 cos + 5 keyword hit)
_SIGN_PRIOR = {-1: (0.88, 0.02, 0.10), 1: (0.10, 0.02, 0.88), 0: (0.49, 0.02, 0.49)}
_LEAF_EMB: dict[str, np.ndarray] = {}  # built-in category texts per model (not user data)
_LEAF_LOCK = threading.Lock()


@dataclass
class State:
    """Everything a fitted (or prior-only) categorizer predicts from."""

    classes: list[str]
    fixed_mask: np.ndarray  # classes that are candidates before any of their rows is seen
    texts: hs.TextBlock  # distinct normalized history descriptions
    rows: hs.Rows  # history rows in time order
    y: np.ndarray  # class index per history row
    hist: hs.History
    zs: np.ndarray  # (history texts, C) similarity of each description to each class name
    class_emb: np.ndarray
    leaf_prior: np.ndarray  # (leaves, C) name similarity of built-in leaves and classes
    leaf_map: np.ndarray  # (leaves, C) P(class | leaf) learned from the whole history
    lex_map: np.ndarray  # (leaves, C) P(class | strong keyword leaf), idem
    sign_prior: np.ndarray
    weights: np.ndarray
    use_prior: bool
    raw_norm: dict[str, str]  # raw history description -> normalized
    text_pos: dict[str, int]  # normalized history description -> index in ``texts``
    key_pos: dict[str, int]  # merchant key -> row of the history's key table
    brand_pos: dict[str, int]  # first word of a merchant key -> row of the brand table
    shared: SharedTable | None = None  # other users' filing of merchants (``shared_prior``)
    boilerplate: frozenset[str] = frozenset()  # left out of what is embedded (ml.boilerplate)
    new_temperature: float = 1.0  # of the scores of merchants never filed (ml.temperature)

    def shared_for(self, leaf_map: np.ndarray) -> cd.Shared | None:
        """The shared prior with its evidence for the classes, through ``leaf_map``."""
        if self.shared is None or not leaf_map.shape[0]:
            return None
        return self.shared, cd.shared_evidence(self.shared, leaf_map)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    def history_of(self, idx: np.ndarray) -> hs.History:
        return hs.build_history(self.rows.take(idx), self.y[idx], self.texts, len(self.classes),
                                self.sign_prior, self.leaf_prior.shape[0], len(self.key_pos),
                                len(self.brand_pos))

    def scored_block(self, hist: hs.History, q: np.ndarray) -> tuple[np.ndarray, ...]:
        """Features of the labeled rows ``q`` as seen from ``hist`` (a history without them):
        ``(feats, novel, mask, target, known)`` as :func:`ml.candidates.candidate_features`
        gives them, the candidate classes (C,), each row's class (C: the novel candidate,
        for a class ``hist`` has not seen) and whether its merchant is in ``hist``."""
        mask = self.fixed_mask | (hist.class_n > 0)
        qrows = self.rows.take(q)
        tids, pos = np.unique(qrows.text_id, return_inverse=True)
        leaf_map = hist.leaf_map(self.leaf_prior)
        tf = cd.text_features(hist, self.texts.emb, self.texts, tids, self.zs, leaf_map,
                              hist.lex_map(self.leaf_prior))
        feats, novel = cd.candidate_features(hist, qrows, tf, pos, mask,
                                             self.shared_for(leaf_map))
        target = np.where(mask[self.y[q]], self.y[q], len(self.classes))
        return feats, novel, mask, target, cd.known_keys(hist, qrows)


def _leaf_embeddings(embedder: Embedder, described: bool = True) -> np.ndarray:
    """Embeddings of the default leaves: "name: description" or the bare name (cached per
    process; built-in data, not user data)."""
    key = f"{embedder.model_name}|{described}"
    with _LEAF_LOCK:
        emb = _LEAF_EMB.get(key)
        if emb is None:
            texts = [category_text(c) if described else c for c in DEFAULT_CATEGORIES]
            emb = embedder.encode_normalized(texts)
            _LEAF_EMB[key] = emb
        return emb


def _class_embeddings(classes: list[str], embedder: Embedder) -> np.ndarray:
    """Embeddings of the class names (bare names for every class, so that the user's own
    category names and the built-in ones compete on equal terms; a user's name as words,
    :func:`~ml.prior.category_words`)."""
    leaf_emb = _leaf_embeddings(embedder, described=False)
    leaf_pos = {c: i for i, c in enumerate(DEFAULT_CATEGORIES)}
    custom = [c for c in classes if c not in leaf_pos]
    custom_emb = dict(zip(custom, embedder.encode_normalized(
        [category_words(c) for c in custom]), strict=True)) if custom else {}
    out = np.zeros((len(classes), leaf_emb.shape[1]), dtype=np.float32)
    for i, c in enumerate(classes):
        out[i] = leaf_emb[leaf_pos[c]] if c in leaf_pos else custom_emb[c]
    return out


def embedded_text(norm: str, boilerplate: frozenset[str]) -> str:
    """What is embedded for a normalized description: its merchant key (the name without
    "pos purchase", "card", ... so that similarity is about who was paid) without the user's
    own boilerplate words (:mod:`ml.boilerplate`); the embedding cache's key. A line of
    nothing but payment-channel words keeps them, with the foreign ones in English
    (:func:`ml.text.english_channel`: the encoder reads English only)."""
    key = key_of_normalized(norm)
    return strip_words(english_channel(key) if key == norm else key, boilerplate)


def _text_block(texts: list[str], embedder: Embedder, cache: EmbeddingCache | None,
                xw: sp.csr_matrix | None, xc: sp.csr_matrix | None,
                use_prior: bool, boilerplate: frozenset[str] = frozenset()) -> hs.TextBlock:
    """Distinct normalized descriptions. Embeddings are of :func:`embedded_text`; the
    n-gram matrices ``xw``/``xc`` (of the texts without the boilerplate, :func:`_ngrams`) keep
    the payment-channel words. A text with nothing readable left has a zero embedding: it is
    similar to nothing, and the built-in guess from it is flat."""
    keys = [embedded_text(t, boilerplate) for t in texts]
    emb = embedder.embed(keys, cache, normalized=True) if texts \
        else np.zeros((0, 1), dtype=np.float32)
    blank = [i for i, k in enumerate(keys) if not k]
    if blank:  # nothing readable ("Reference 201301234"): no text evidence, not the encoder's
        emb = emb.copy()  # guess for an empty string (which read as Charity)
        emb[blank] = 0.0
    leaf_pos = {c: i for i, c in enumerate(DEFAULT_CATEGORIES)}
    hits = [lexicon_match(t) if use_prior else None for t in texts]
    if use_prior and texts:
        logits = PRIOR_ZS * (emb @ _leaf_embeddings(embedder).T)
        for i, h in enumerate(hits):
            if h:
                logits[i, leaf_pos[h[1]]] += PRIOR_LEX * h[2]
        logits -= logits.max(axis=1, keepdims=True)
        leaf_q = np.exp(logits)
        leaf_q /= leaf_q.sum(axis=1, keepdims=True)
    else:
        leaf_q = np.zeros((len(texts), len(DEFAULT_CATEGORIES) if use_prior else 0))
    return hs.TextBlock(
        texts=texts, emb=emb, xw=xw, xc=xc,
        lex_leaf=np.array([leaf_pos[h[1]] if h else -1 for h in hits], dtype=int),
        lex_strength=np.array([min(h[2], 1.0) if h else 0.0 for h in hits]),
        lex_word=[h[0] if h else "" for h in hits], leaf_q=leaf_q)


def _leaf_class_prior(classes: list[str], cos: np.ndarray) -> np.ndarray:
    """(leaves, C) prior P(class | leaf): the class of the same name, else a softmax over the
    classes' name similarity to the leaf (temperature 0.05)."""
    out = np.zeros_like(cos, dtype=float)
    for i, leaf in enumerate(DEFAULT_CATEGORIES):
        if leaf in classes:
            out[i, classes.index(leaf)] = 1.0
        elif len(classes):
            top = max(cos[i].max(), NAME_MATCH)
            z = np.exp((cos[i] - top) / 0.05)
            none = np.exp((NAME_MATCH - top) / 0.05)
            out[i] = (z + none / len(classes)) / (z.sum() + none)
    return out


def _ngrams(texts: list[str], boilerplate: frozenset[str] = frozenset()
            ) -> tuple[sp.csr_matrix | None, sp.csr_matrix | None]:
    """Word 1-2-gram and character 3-5-gram (within words) hashed, L2-normalized rows of the
    texts without a trailing location code (:func:`ml.text.strip_location`, as the merchant
    key) and without the user's boilerplate words."""
    if not texts:
        return None, None
    return ngram_rows([strip_words(strip_location(t), boilerplate) for t in texts])


def build_state(frame: pd.DataFrame, labels: pd.Series, embedder: Embedder,
                cache: EmbeddingCache | None, categories: Sequence[str] | None,
                use_prior: bool,
                shared_prior: Mapping[str, Mapping[str, float]] | None = None) -> State:
    """The state for labeled rows ``frame``/``labels`` (both may be empty: prior only);
    ``shared_prior`` (merchant key -> {default leaf: share}) is used only with the prior."""
    given = [str(c) for c in categories] if categories else []
    # as an object array: iterating a pyarrow-backed Series is slow
    values = labels.astype(str).to_numpy(dtype=object)
    seen = sorted(set(values))
    classes = list(dict.fromkeys(given + seen)) or list(DEFAULT_CATEGORIES)
    fixed = set(given) if given else (set(classes) if not seen else set())
    order = np.argsort(dates_of(frame).to_numpy(dtype="datetime64[ns]"), kind="stable")
    frame, lab = frame.iloc[order], values[order]
    distinct, text_id, keys, raw_norm = normalized(frame)
    base = np.array([key_of_normalized(t) for t in distinct], dtype=object)
    boiler = boilerplate_words(zip(base[text_id], lab, strict=True))
    texts = _text_block(distinct, embedder, cache, *_ngrams(distinct, boiler), use_prior, boiler)
    key_pos = {k: i for i, k in enumerate(dict.fromkeys(keys.tolist()))}
    brands = [b for b in dict.fromkeys(brand_of(k) for k in key_pos) if b]
    brand_pos = {b: i for i, b in enumerate(brands)}
    rows = rows_of(frame, text_id, keys, key_pos, brand_pos)
    y = pd.Index(classes).get_indexer(lab).astype(int)
    class_emb = _class_embeddings(classes, embedder) if use_prior \
        else np.zeros((len(classes), 1), dtype=np.float32)
    if use_prior:
        leaf_prior = _leaf_class_prior(classes, _leaf_embeddings(embedder) @ class_emb.T)
    else:
        leaf_prior = np.zeros((0, len(classes)))
    sign_prior = np.array([_SIGN_PRIOR[EXPECTED_SIGN.get(c, 0) if use_prior else 0]
                           for c in classes])
    hist = hs.build_history(rows, y, texts, len(classes), sign_prior, leaf_prior.shape[0],
                            len(key_pos), len(brand_pos))
    zs = (texts.emb @ class_emb.T if use_prior and len(distinct)
          else np.zeros((len(distinct), len(classes))))
    return State(classes=classes, fixed_mask=np.array([c in fixed for c in classes], bool),
                 texts=texts, rows=rows, y=y, hist=hist, zs=zs,
                 class_emb=class_emb, leaf_prior=leaf_prior, leaf_map=hist.leaf_map(leaf_prior),
                 lex_map=hist.lex_map(leaf_prior),
                 sign_prior=sign_prior,
                 weights=np.array([cd.W0[f] for f in (*cd.FEATURES, *cd.NOVEL_FEATURES)]),
                 use_prior=use_prior, raw_norm=raw_norm,
                 text_pos={t: i for i, t in enumerate(distinct)}, key_pos=key_pos,
                 brand_pos=brand_pos, shared=shared_table(shared_prior) if use_prior else None,
                 boilerplate=boiler)


def prior_state(embedder: Embedder, cache: EmbeddingCache | None,
                categories: Sequence[str] | None, use_prior: bool,
                shared_prior: Mapping[str, Mapping[str, float]] | None = None) -> State:
    """The state of a user without any labeled transaction."""
    empty = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                          "description": pd.Series(dtype=object),
                          "amount": pd.Series(dtype=float)})
    return build_state(empty, pd.Series(dtype=object), embedder, cache, categories, use_prior,
                       shared_prior)


def embedded_texts(st: State, frame: pd.DataFrame) -> set[str]:
    """The texts whose embeddings predicting ``frame`` (or fitting on it) uses: the keys of
    the embedding cache that a user's rows occupy."""
    distinct = normalized(frame, st.raw_norm)[0]
    return {embedded_text(t, st.boilerplate) for t in distinct}


def known_merchants(st: State, frame: pd.DataFrame) -> np.ndarray:
    """Whether each row's merchant key occurs in the fitted history (no embedding needed)."""
    if not st.n_rows or not len(frame):
        return np.zeros(len(frame), dtype=bool)
    keys = normalized(frame, st.raw_norm)[2]
    return np.fromiter((k in st.key_pos for k in keys), dtype=bool, count=len(keys))


def prepare_rows(st: State, frame: pd.DataFrame, embedder: Embedder,
                 cache: EmbeddingCache | None) -> tuple[hs.Rows, hs.TextBlock]:
    """Rows of a query frame and the TextBlock of its distinct normalized descriptions."""
    distinct, text_id, keys, _ = normalized(frame, st.raw_norm)
    # descriptions already in the history reuse its embeddings, n-grams and lexicon hits
    text_pos = st.text_pos
    old = [i for i, t in enumerate(distinct) if t in text_pos]
    new = [i for i, t in enumerate(distinct) if t not in text_pos]
    new_texts = [distinct[i] for i in new]
    block = st.texts.take(np.array([text_pos[distinct[i]] for i in old], dtype=int))
    if new_texts:
        block = block.concat(_text_block(new_texts, embedder, cache,
                                         *_ngrams(new_texts, st.boilerplate),
                                         st.use_prior, st.boilerplate))
    remap = np.empty(len(distinct), dtype=int)
    remap[np.array(old + new, dtype=int)] = np.arange(len(distinct))
    return (rows_of(frame, remap[text_id] if len(distinct) else text_id, keys, st.key_pos,
                  st.brand_pos), block)
