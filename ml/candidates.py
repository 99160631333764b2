"""Per-(transaction, category) evidence used by :class:`ml.categorizer.TransactionCategorizer`.

:func:`text_features` (per distinct description) and :func:`candidate_features` /
:func:`score_rows` (per row) turn a :class:`~ml.history.History` and a batch of query
transactions into log-likelihood ratios and similarities for every (row, category) pair, plus
a few features of the "a category not seen yet" candidate. The categorizer weighs them with a
conditional logit; the names in :data:`FEATURES` and :data:`GROUPS` are what explanations are
built from.

The ``shared`` feature is other users' filing of a merchant (:class:`ml.prior.SharedTable`,
mapped onto the user's categories through the same ``leaf_map`` as the built-in prior). It only
speaks for merchants the user has no history for: the user's own memory always takes over.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ml.embeddings import bf16_supported
from ml.history import History, Rows, TextBlock, strong_hits
from ml.prior import SharedTable
from ml.text import key_of_normalized

log = logging.getLogger(__name__)

FEATURES = ("mem_frac", "mem_count", "mem_last", "brand_frac", "knn_max", "centroid", "word_sim",
            "char_sim", "char_nb", "zs", "leaf", "lex", "shared", "log_prior", "key_prior", "sign",
            "amount", "day", "weekday", "account")
NOVEL_FEATURES = ("nov_bias", "nov_maxsim", "nov_seen", "nov_logn")
GROUPS = {
    "memory": ("mem_frac", "mem_count", "mem_last"),
    "similar": ("brand_frac", "knn_max", "centroid"),
    "words": ("word_sim", "char_sim", "char_nb"),
    "builtin": ("zs", "leaf", "lex"),
    "shared": ("shared",),
    "pattern": ("sign", "amount", "day", "weekday", "account"),
    "frequency": ("log_prior", "key_prior"),
}
W0: dict[str, float] = {
    "mem_frac": 2.0, "mem_count": 1.0, "mem_last": 1.0, "brand_frac": 1.0, "knn_max": 3.0,
    "centroid": 2.0, "word_sim": 2.0, "char_sim": 2.0, "char_nb": 1.0, "zs": 2.0, "leaf": 1.0,
    "lex": 1.5, "shared": 1.5,
    "log_prior": 0.3, "key_prior": 0.3, "sign": 1.0, "amount": 0.3, "day": 0.1, "weekday": 0.1,
    "account": 0.3,
    "nov_bias": 0.0, "nov_maxsim": -3.0, "nov_seen": -2.0, "nov_logn": -0.3,
}
"""Built-in weights: used as they are by a model without history, and as the centre the fitted
weights are shrunk towards."""
Shared = tuple[SharedTable, np.ndarray]
"""The shared prior of a fit: the table and its (merchants, C) evidence (:func:`shared_evidence`)."""
_BF16_MIN = 4_000_000  # use bfloat16 similarity matmuls above this many (query x history) pairs


def knn_class_max(hist: History, hist_emb: np.ndarray, q_emb: np.ndarray,
                  chunk: int = 1024) -> np.ndarray:
    """(queries, C): max cosine similarity to any history text filed under each class (>= 0).

    History columns are sorted by class, so one ``maximum.reduceat`` per chunk gives all
    class maxima. Large problems on a CPU with native bfloat16 (:func:`ml.embeddings.bf16_supported`)
    multiply in bfloat16 and reduce the raw 16-bit patterns as int16 (same order as the values
    for non-negative numbers; negatives end up below every non-negative and are clipped to 0
    anyway), which halves the memory traffic; elsewhere float32 is the faster one.
    """
    if len(hist.col_text) == 0 or q_emb.shape[0] == 0:
        return np.zeros((q_emb.shape[0], hist.n_classes), dtype=np.float32)
    # descriptions with the same merchant key share one embedding: multiply each distinct
    # query vector once, against one column per (class, distinct history vector)
    q_first, q_inv = _distinct_rows(q_emb)
    h_all = hist_emb[hist.col_text]
    h_first, h_inv = _distinct_rows(h_all)
    cols = np.unique(hist.col_class * len(h_first) + h_inv)  # sorted by class, as before
    col_class = cols // len(h_first)
    h = h_all[h_first[cols % len(h_first)]]
    return _class_max(q_emb[q_first], h, col_class, hist.n_classes, chunk)[q_inv]


def _distinct_rows(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct row of ``m`` and each row's index among them."""
    m = np.ascontiguousarray(m)
    rows = m.view(np.dtype((np.void, m.dtype.itemsize * m.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _class_max(q_emb: np.ndarray, h: np.ndarray, col_class: np.ndarray, n_classes: int,
               chunk: int) -> np.ndarray:
    """(queries, C): max of ``q_emb @ h.T`` over the columns of each class (columns sorted by
    class), clipped to [0, 1]; see :func:`knn_class_max`."""
    out = np.zeros((q_emb.shape[0], n_classes), dtype=np.float32)
    starts = np.r_[0, np.flatnonzero(np.diff(col_class)) + 1]
    present = col_class[starts]
    if q_emb.shape[0] * h.shape[0] < _BF16_MIN or not bf16_supported():
        for s in range(0, q_emb.shape[0], chunk):
            out[s:s + chunk, present] = np.maximum.reduceat(q_emb[s:s + chunk] @ h.T, starts,
                                                            axis=1)
        return np.clip(out, 0.0, 1.0)
    import torch

    ht = torch.from_numpy(np.ascontiguousarray(h)).bfloat16()
    for s in range(0, q_emb.shape[0], chunk):
        qt = torch.from_numpy(np.ascontiguousarray(q_emb[s:s + chunk])).bfloat16()
        bits = np.maximum.reduceat((qt @ ht.T).view(torch.int16).numpy(), starts, axis=1)
        best = torch.from_numpy(np.ascontiguousarray(bits)).view(torch.bfloat16).float()
        out[s:s + chunk, present] = best.numpy()
    return np.clip(out, 0.0, 1.0)


def text_features(hist: History, hist_emb: np.ndarray, qtexts: TextBlock, tids: np.ndarray,
                  zs: np.ndarray, leaf_map: np.ndarray,
                  lex_map: np.ndarray) -> dict[str, np.ndarray]:
    """Features that depend only on the description, for the query texts ``tids``.

    ``zs``: (all query texts, C) similarity of each text to each category name;
    ``leaf_map``: (leaves, C) P(class | built-in leaf) (see :meth:`History.leaf_map`);
    ``lex_map``: (leaves, C) P(class | strong keyword leaf) (:meth:`History.lex_map`). Texts
    with a strong keyword hit get ``lex`` (from ``lex_map``) instead of ``leaf``.
    """
    full = len(tids) == len(qtexts.texts) and (len(tids) == 0 or tids[-1] == len(tids) - 1)
    emb = qtexts.emb if full else qtexts.emb[tids]
    knn = knn_class_max(hist, hist_emb, emb)
    out = {"knn_max": knn, "zs": zs[tids]}
    if hist.centroids is not None:
        out["centroid"] = np.clip(emb @ hist.centroids.T, 0.0, 1.0)
    out["nov_maxsim"] = knn.max(axis=1) if hist.n_classes else np.zeros(len(tids))
    if hist.n:
        for name, cent, x in (("word_sim", hist.cent_w, qtexts.xw),
                              ("char_sim", hist.cent_c, qtexts.xc)):
            if cent is not None and x is not None:
                out[name] = np.asarray(((x if full else x[tids]) @ cent.T).todense())
    if hist.nb_logp is not None and qtexts.xc is not None:
        out["char_nb"] = _naive_bayes_feature(hist, qtexts.xc if full else qtexts.xc[tids])
    q = qtexts.leaf_q[tids]
    if q.shape[1] and q.sum() > 0:
        hits = strong_hits(qtexts.lex_leaf[tids], qtexts.lex_strength[tids], q.shape[1])
        strong = hits.any(axis=1)[:, None]
        out["leaf"] = np.where(strong, 0.0, _clipped_log(q @ leaf_map))
        out["lex"] = np.where(strong, _clipped_log(hits @ lex_map), 0.0)
    return out


def _naive_bayes_feature(hist: History, x: sp.csr_matrix) -> np.ndarray:
    """(texts, C): mean log P(n-gram | class) over the text's n-grams the history has seen,
    less its mean over the classes (0 for a text with none). The mean, not the sum, so that
    long descriptions do not speak louder; the weight is fitted like the others."""
    xq = x[:, hist.nb_cols].tocsr()
    xq.data[:] = 1.0
    k = np.asarray(xq.sum(axis=1)).ravel()
    mean = np.asarray(xq @ hist.nb_logp.T) / np.maximum(k, 1.0)[:, None]
    return np.where(k[:, None] > 0, mean - mean.mean(axis=1, keepdims=True), 0.0)


def _clipped_log(p: np.ndarray) -> np.ndarray:
    """log of probabilities, floored at -10 (a category the evidence rules out)."""
    return np.maximum(np.log(np.maximum(p, 1e-12)), -10.0)


TEXT_FEATURES = ("knn_max", "centroid", "zs", "leaf", "lex", "word_sim", "char_sim", "char_nb")
GROUP_NAMES = tuple(GROUPS)
_GROUP_OF = {f: GROUP_NAMES.index(g) for g, fs in GROUPS.items() for f in fs}


def shared_codes(table: SharedTable | None, keys: np.ndarray) -> np.ndarray:
    """Each row's index into the shared table (-1: not shared). A row's shared key is
    :func:`ml.text.merchant_key` of its merchant (memory key ``m:<merchant>``) or of its
    description (memory key = that already)."""
    out = np.full(len(keys), -1, dtype=int)
    if table is None or not len(keys):
        return out
    codes, distinct = pd.factorize(keys, use_na_sentinel=False)
    pos = table.pos
    lookup = np.array([pos.get(key_of_normalized(k[2:]) if k.startswith("m:") else k, -1)
                       for k in map(str, distinct)], dtype=int)
    return lookup[codes]


def shared_evidence(table: SharedTable, leaf_map: np.ndarray) -> np.ndarray:
    """(merchants, C): log P(class | other users' filing) / (1/C), in [-5, 5]: the shared
    leaf shares carried onto the user's categories by ``leaf_map`` (P(class | leaf))."""
    p = table.leaf @ leaf_map
    return np.clip(np.log(np.maximum(p, 1e-12) * p.shape[1]), -5.0, 5.0)


def _row_features(hist: History, q: Rows, shared: Shared | None = None
                  ) -> Iterator[tuple[str, np.ndarray | tuple]]:
    """The row-level features one at a time: ``(name, (rows, C) array)`` or, for the sparse
    merchant-memory and shared features, ``(name, (row_index, values))``."""
    n, c = len(q), hist.n_classes
    if shared is not None:
        codes = shared_codes(shared[0], q.key)
        rows = np.flatnonzero((codes >= 0) & ~known_keys(hist, q))
        yield "shared", (rows, shared[1][codes[rows]])
    yield "log_prior", np.broadcast_to(np.log((hist.class_n + 1.0) / (hist.n + c)), (n, c))
    if hist.key_n is not None:
        kn = hist.key_n
        yield "key_prior", np.broadcast_to(np.log((kn + 0.5) / (kn.sum() + 0.5 * c)), (n, c))
    yield "sign", hist.sign_lr[:, q.sign.astype(int) + 1].T
    if not hist.n:
        return
    kid = q.key_code
    known = np.flatnonzero(known_keys(hist, q))
    counts = hist.key_counts[kid[known]]
    last = np.zeros_like(counts)
    last[np.arange(len(known)), hist.key_last[kid[known]]] = 1.0
    yield "mem_frac", (known, counts / counts.sum(axis=1, keepdims=True))
    yield "mem_count", (known, np.log1p(counts))
    yield "mem_last", (known, last)
    bid = q.brand_code
    has = np.flatnonzero(bid >= 0)
    bcounts = hist.brand_counts[bid[has]]
    total = bcounts.sum(axis=1, keepdims=True)
    has, bcounts, total = has[total[:, 0] > 0], bcounts[total[:, 0] > 0], total[total[:, 0] > 0]
    yield "brand_frac", (has, bcounts / total)
    if hist.amt is not None:
        mu, var, mu_g, var_g = hist.amt
        la = q.logamt[:, None]
        lr = (-0.5 * np.log(var) - 0.5 * (la - mu) ** 2 / var
              + 0.5 * np.log(var_g) + 0.5 * (la - mu_g) ** 2 / var_g)
        yield "amount", np.clip(np.nan_to_num(lr, nan=0.0), -10.0, 5.0)
    for name, vals, table in (("day", q.dom, hist.dom_lr), ("weekday", q.wd, hist.wd_lr)):
        if table is not None:
            padded = np.concatenate([table, np.zeros((c, 1))], axis=1)  # index -1: unknown
            yield name, padded[:, vals].T
    if hist.acct_lr:
        table = np.zeros((n, c))
        for i, a in enumerate(q.account):
            lr_a = hist.acct_lr.get(a)
            if lr_a is not None:
                table[i] = lr_a
        yield "account", table


def known_keys(hist: History, q: Rows) -> np.ndarray:
    """Whether each row's merchant key occurs in the history."""
    if not hist.n:
        return np.zeros(len(q), dtype=bool)
    ok = q.key_code >= 0
    out = np.zeros(len(q), dtype=bool)
    out[ok] = hist.key_counts[q.key_code[ok]].sum(axis=1) > 0
    return out


def novel_features(hist: History, q: Rows, tfeats: dict[str, np.ndarray],
                   pos: np.ndarray) -> np.ndarray:
    """(rows, len(NOVEL_FEATURES)) features of the "category not seen yet" candidate."""
    seen = known_keys(hist, q).astype(float)
    return np.column_stack([np.ones(len(q)), tfeats["nov_maxsim"][pos], seen,
                            np.full(len(q), np.log1p(hist.n))])


def candidate_features(hist: History, q: Rows, tfeats: dict[str, np.ndarray], pos: np.ndarray,
                       mask: np.ndarray, shared: Shared | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Features of every (query row, class) pair and of the novel-category candidate.

    ``tfeats``: output of :func:`text_features`; ``pos``: for each row of ``q`` its position
    in the texts ``tfeats`` was computed for. Returns ``(F, N)``: F is (rows, C,
    len(FEATURES)) and N is (rows, len(NOVEL_FEATURES)); non-candidate classes get zeros.
    """
    ix = {name: i for i, name in enumerate(FEATURES)}
    feats = np.zeros((len(q), hist.n_classes, len(FEATURES)), dtype=np.float64)
    for name in TEXT_FEATURES:
        if name in tfeats:
            feats[:, :, ix[name]] = tfeats[name][pos]
    for name, val in _row_features(hist, q, shared):
        if isinstance(val, tuple):
            feats[val[0], :, ix[name]] = val[1]
        else:
            feats[:, :, ix[name]] = val
    feats[:, ~mask, :] = 0.0
    return feats, novel_features(hist, q, tfeats, pos)


def text_partials(tfeats: dict[str, np.ndarray], weights: dict[str, float]
                  ) -> dict[int, np.ndarray]:
    """Weighted sums of the text-level features per explanation group: {group: (texts, C)}."""
    out: dict[int, np.ndarray] = {}
    for name in TEXT_FEATURES:
        if name in tfeats:
            g = _GROUP_OF[name]
            part = weights[name] * tfeats[name]
            out[g] = out[g] + part if g in out else part
    return out


def score_rows(hist: History, q: Rows, partials: dict[int, np.ndarray], pos: np.ndarray,
               weights: dict[str, float], shared: Shared | None = None) -> np.ndarray:
    """(rows, C, groups) weighted evidence per explanation group; its sum over the last axis
    equals ``candidate_features(...) @ w`` for all classes (predict-time: every class is a
    candidate)."""
    out = np.zeros((len(q), hist.n_classes, len(GROUP_NAMES)))
    for g, part in partials.items():
        out[:, :, g] += part[pos]
    for name, val in _row_features(hist, q, shared):
        w, g = weights[name], _GROUP_OF[name]
        if w == 0.0:
            continue
        if isinstance(val, tuple):
            out[val[0], :, g] += w * val[1]
        else:
            out[:, :, g] += w * val
    return out
