"""What the categorizer knows about a user's labeled transactions.

- :class:`Rows`: per-row inputs (description id, merchant key, sign, log-amount, day of month,
  weekday, account, date) of a transactions frame.
- :class:`TextBlock`: the distinct normalized descriptions with their sentence embeddings,
  hashed word / character n-grams and built-in lexicon hits.
- :class:`History` / :func:`build_history`: statistics of labeled rows: label counts per
  merchant key (exact-merchant memory) and the latest label, the distinct (description,
  category) pairs (near-duplicate search), recency-weighted n-gram and embedding centroids per
  category, a naive-Bayes model of the character n-grams, the user's filing of the built-in
  prior's guesses, and per-category sign, log-amount, day-of-month, weekday and account
  statistics.

Pure functions of arrays; :mod:`ml.candidates` turns a History into features.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

HALF_LIFE_DAYS = 365.0  # how fast old filings lose weight in the generalising statistics
ACCOUNT_PRIOR = 10.0  # pseudo-rows of the overall category mix in each account's own mix
NB_ALPHA = 0.5  # Laplace smoothing of the naive-Bayes n-gram model (``History.nb_logp``)
STRONG_HIT = 1.0
"""Keyword hits at least this strong (not the ambiguous "~" keywords of the lexicon, such as
"paypal") are evidence of their own: :meth:`History.lex_map`."""
LEX_TRUST, LEX_SMOOTHING = 0.8, 3.0
"""Before the user has filed anything a strong keyword points to, P(class | keyword leaf) is
80% the leaf's name match (:func:`ml.model_state._leaf_class_prior`) and 20% how often the
user uses each class, worth ``LEX_SMOOTHING`` filings: a keyword names a kind of merchant, not
always the user's own category for it (where a strong keyword's leaf was one of the user's
category names, it was that category for 80-82% of the rows of two real labeled files)."""


@dataclass
class Rows:
    """Per-row inputs derived from a transactions frame (see ``prepare_rows``)."""

    text_id: np.ndarray  # index into the TextBlock the rows were prepared with
    key: np.ndarray  # merchant memory key (object)
    key_code: np.ndarray  # index of the key in the fitted state's key table, -1 if unknown
    brand_code: np.ndarray  # index of the key's first word in the brand table, -1 if unknown
    sign: np.ndarray  # -1, 0 (zero/unknown), +1
    logamt: np.ndarray  # log1p(|amount|), NaN when unknown
    dom: np.ndarray  # day of month 0..30, -1 unknown
    wd: np.ndarray  # weekday 0..6, -1 unknown
    account: np.ndarray  # account name or "" (object)
    raw: np.ndarray  # original description (object)
    day: np.ndarray  # days since 1970-01-01 (float), NaN unknown

    def take(self, idx: np.ndarray) -> Rows:
        return Rows(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.text_id)


@dataclass
class TextBlock:
    """Distinct normalized texts with their embeddings, hashed n-grams and lexicon hits."""

    texts: list[str]
    emb: np.ndarray
    xw: sp.csr_matrix | None
    xc: sp.csr_matrix | None
    lex_leaf: np.ndarray  # keyword hit: index into DEFAULT_CATEGORIES, -1 for no hit
    lex_strength: np.ndarray
    lex_word: list[str]
    leaf_q: np.ndarray  # (texts, leaves): the built-in prior's guess over the default leaves

    def take(self, idx: np.ndarray) -> TextBlock:
        return TextBlock(texts=[self.texts[i] for i in idx], emb=self.emb[idx],
                         xw=self.xw[idx] if self.xw is not None else None,
                         xc=self.xc[idx] if self.xc is not None else None,
                         lex_leaf=self.lex_leaf[idx], lex_strength=self.lex_strength[idx],
                         lex_word=[self.lex_word[i] for i in idx], leaf_q=self.leaf_q[idx])

    def concat(self, other: TextBlock) -> TextBlock:
        if not self.texts or not other.texts:
            return other if not self.texts else self

        def stack(a: sp.csr_matrix | None, b: sp.csr_matrix | None) -> sp.csr_matrix | None:
            if a is None or b is None:
                return a if b is None else b
            return sp.vstack([a, b]).tocsr()

        return TextBlock(texts=self.texts + other.texts,
                         emb=np.concatenate([self.emb, other.emb]),
                         xw=stack(self.xw, other.xw), xc=stack(self.xc, other.xc),
                         lex_leaf=np.concatenate([self.lex_leaf, other.lex_leaf]),
                         lex_strength=np.concatenate([self.lex_strength, other.lex_strength]),
                         lex_word=self.lex_word + other.lex_word,
                         leaf_q=np.concatenate([self.leaf_q, other.leaf_q]))


@dataclass
class History:
    """Statistics of labeled rows; ``n == 0`` is the empty history of a brand-new user."""

    n: int
    n_classes: int
    class_n: np.ndarray
    key_counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (keys, C)
    key_last: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    brand_counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (brands, C)
    col_text: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    col_class: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    col_raw: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    cent_w: sp.csr_matrix | None = None  # (C, V) L2-normalized word n-gram centroids
    cent_c: sp.csr_matrix | None = None  # (C, V) L2-normalized character n-gram centroids
    sign_lr: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    amt: tuple[np.ndarray, np.ndarray, float, float] | None = None
    dom_lr: np.ndarray | None = None
    wd_lr: np.ndarray | None = None
    acct_lr: dict[str, np.ndarray] = field(default_factory=dict)
    leaf_counts: np.ndarray | None = None  # (leaves, C): soft leaf guesses of filed texts
    key_n: np.ndarray | None = None  # (C,) distinct merchant keys filed under each class
    lex_counts: np.ndarray | None = None  # (leaves, C): keyword-hit leaves of filed texts
    centroids: np.ndarray | None = None  # (C, dim) normalized mean embedding per class
    nb_cols: np.ndarray | None = None  # hashed character n-gram columns of the history
    nb_logp: np.ndarray | None = None  # (C, len(nb_cols)) smoothed log P(n-gram | class)

    def leaf_map(self, prior_map: np.ndarray, weight: float = 1.0) -> np.ndarray:
        """P(class | built-in leaf): how the user filed descriptions the prior puts in each
        leaf, smoothed towards ``prior_map`` (leaf/class name similarity) by ``weight``."""
        counts = self.leaf_counts if self.leaf_counts is not None else np.zeros_like(prior_map)
        return (counts + weight * prior_map) / (counts.sum(axis=1, keepdims=True) + weight)

    def lex_map(self, prior_map: np.ndarray) -> np.ndarray:
        """P(class | strong keyword leaf): how the user filed descriptions with a strong
        keyword hit in each leaf (counted once per distinct description and class), smoothed
        towards ``prior_map`` mixed with the user's class frequencies (:data:`LEX_TRUST`,
        :data:`LEX_SMOOTHING`). Unlike :meth:`leaf_map` it counts only keyword hits, not the
        soft zero-shot guesses every description spreads over all leaves."""
        counts = self.lex_counts if self.lex_counts is not None else np.zeros_like(prior_map)
        base = (self.class_n + 1.0) / (self.class_n.sum() + len(self.class_n))
        centre = LEX_TRUST * prior_map + (1.0 - LEX_TRUST) * base[None, :]
        return ((counts + LEX_SMOOTHING * centre)
                / (counts.sum(axis=1, keepdims=True) + LEX_SMOOTHING))


def _unit_rows(m: sp.spmatrix) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    m = sp.csr_matrix(m, dtype=np.float64)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ m


def _log_ratio_hist(values: np.ndarray, y: np.ndarray, n_classes: int, size: int,
                    circular: bool) -> np.ndarray:
    """log P(v | c) - log P(v) from smoothed histograms (rows: classes, cols: values)."""
    ok = values >= 0
    h = np.zeros((n_classes, size))
    np.add.at(h, (y[ok], values[ok]), 1.0)
    if circular:
        h = 0.5 * h + 0.25 * (np.roll(h, 1, axis=1) + np.roll(h, -1, axis=1))
    g = h.sum(axis=0) + 1.0
    pg = g / g.sum()
    pc = (h + size * pg * 0.5) / (h.sum(axis=1, keepdims=True) + size * 0.5)
    return np.log(pc) - np.log(pg)


def _last_of(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct codes and the position of the last row holding each."""
    uniq, first_rev = np.unique(codes[::-1], return_index=True)
    return uniq, len(codes) - 1 - first_rev


def _class_sums(hist: History, pair_w: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(C, k): per class, the ``pair_w``-weighted sum of ``values`` rows of its distinct
    texts (the pairs are sorted by class, so one ``add.reduceat`` does it)."""
    out = np.zeros((hist.n_classes, values.shape[1]))
    if len(hist.col_class):
        starts = np.r_[0, np.flatnonzero(np.diff(hist.col_class)) + 1]
        weighted = values[hist.col_text] * pair_w[:, None]
        out[hist.col_class[starts]] = np.add.reduceat(weighted, starts, axis=0)
    return out


def build_history(rows: Rows, y: np.ndarray, texts: TextBlock, n_classes: int,
                  sign_prior: np.ndarray, n_leaves: int, n_keys: int,
                  n_brands: int) -> History:
    """Statistics of ``rows`` labeled ``y`` (class indices), in time order.

    ``sign_prior``: (C, 3) prior probabilities of sign -1/0/+1 per class (from the built-in
    expected signs), worth two pseudo-transactions. ``n_keys`` / ``n_brands``: sizes of the
    key and brand tables that ``rows.key_code`` / ``rows.brand_code`` index.
    """
    n = len(rows)
    recency = _recency(rows.day)
    class_n = np.bincount(y, weights=recency, minlength=n_classes) if n \
        else np.zeros(n_classes)
    sc = np.zeros((n_classes, 3))
    np.add.at(sc, (y, rows.sign.astype(int) + 1), 1.0)
    p_sign = (sc + 2.0 * sign_prior) / (sc.sum(axis=1, keepdims=True) + 2.0)
    g_sign = (sc.sum(axis=0) + 1.0) / (n + 3.0)
    hist = History(n=n, n_classes=n_classes, class_n=class_n,
                   sign_lr=np.log(p_sign) - np.log(g_sign))
    if n == 0:
        return hist
    kc = np.zeros((n_keys, n_classes))
    np.add.at(kc, (rows.key_code, y), 1.0)
    last = np.zeros(n_keys, dtype=int)
    uniq, pos = _last_of(rows.key_code)
    last[uniq] = y[pos]
    hist.key_counts, hist.key_last = kc, last
    bc = np.zeros((n_brands, n_classes))
    ok = rows.brand_code >= 0
    np.add.at(bc, (rows.brand_code[ok], y[ok]), 1.0)
    hist.brand_counts = bc
    n_texts = len(texts.texts)
    pair_code = y.astype(np.int64) * n_texts + rows.text_id
    uniq, pos = _last_of(pair_code)
    inverse = np.searchsorted(uniq, pair_code)
    pair_w = np.zeros(len(uniq))
    np.maximum.at(pair_w, inverse, recency)
    hist.col_class = (uniq // n_texts).astype(int)
    hist.col_text = (uniq % n_texts).astype(int)
    hist.col_raw = rows.raw[pos]
    # n-gram and leaf counts over distinct (description, class) pairs, weighted by recency: a
    # merchant seen 40 times does not outweigh 40 different merchants when generalising to a
    # new one, and last year's filing habits count half
    onehot = sp.csr_matrix((pair_w, (hist.col_class, hist.col_text)),
                           shape=(n_classes, n_texts))
    for name, x in (("cent_w", texts.xw), ("cent_c", texts.xc)):
        if x is not None:
            setattr(hist, name, _unit_rows(onehot @ x))
    if texts.xc is not None:
        hist.nb_cols, hist.nb_logp = _naive_bayes(onehot, texts.xc)
    la = rows.logamt
    ok = ~np.isnan(la)
    if ok.any():
        mu_g, var_g = float(la[ok].mean()), float(la[ok].var() + 0.25)
        cnt = np.bincount(y[ok], minlength=n_classes).astype(float)
        s1 = np.bincount(y[ok], weights=la[ok], minlength=n_classes)
        mu = (s1 + 2.0 * mu_g) / (cnt + 2.0)
        s2 = np.bincount(y[ok], weights=(la[ok] - mu[y[ok]]) ** 2, minlength=n_classes)
        hist.amt = (mu, (s2 + 2.0 * var_g) / (cnt + 2.0), mu_g, var_g)
    hist.leaf_counts = _class_sums(hist, pair_w, texts.leaf_q).T if n_leaves else None
    if n_leaves:
        hits = strong_hits(texts.lex_leaf, texts.lex_strength, n_leaves)
        hist.lex_counts = _class_sums(hist, pair_w, hits).T
    cent = _class_sums(hist, pair_w, texts.emb)
    hist.centroids = cent / np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-12)
    key_class = rows.key_code.astype(np.int64) * n_classes + y
    kuniq, kinv = np.unique(key_class, return_inverse=True)
    key_w = np.zeros(len(kuniq))
    np.maximum.at(key_w, kinv.ravel(), recency)
    hist.key_n = np.bincount(kuniq % n_classes, weights=key_w, minlength=n_classes)
    hist.dom_lr = _log_ratio_hist(rows.dom, y, n_classes, 31, circular=True)
    hist.wd_lr = _log_ratio_hist(rows.wd, y, n_classes, 7, circular=False)
    accounts = rows.account.astype(str)
    if (accounts != "").any():
        hist.acct_lr = _account_log_ratios(accounts, y, n_classes)
    return hist


def _account_log_ratios(accounts: np.ndarray, y: np.ndarray, n_classes: int
                        ) -> dict[str, np.ndarray]:
    """{account: log P(class | account) - log P(class)} (= log P(account | class) - log
    P(account)), with P(class | account) smoothed towards P(class) by :data:`ACCOUNT_PRIOR`
    pseudo-rows. The evidence grows with the account's own filings: one filing in a newly
    imported account shifts its other rows a little towards that category, not, as smoothing
    P(account | class) did, away from every category with many filings elsewhere (after one
    Groceries filing in a new account, its phone bill read as Groceries 68%)."""
    names, codes = np.unique(accounts, return_inverse=True)
    ac = np.zeros((n_classes, len(names)))
    np.add.at(ac, (y, codes), 1.0)
    prior = (np.bincount(y, minlength=n_classes) + 1.0) / (len(y) + n_classes)
    given = (ac + ACCOUNT_PRIOR * prior[:, None]) / (ac.sum(axis=0) + ACCOUNT_PRIOR)
    lr = np.log(given) - np.log(prior)[:, None]
    return {a: lr[:, i] for i, a in enumerate(names) if a}


def _naive_bayes(onehot: sp.csr_matrix, x: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial naive Bayes over the n-grams of ``x`` (each present n-gram counted once per
    distinct description, weighted like ``onehot``): the columns the history uses and
    log P(n-gram | class), Laplace-smoothed by :data:`NB_ALPHA` over those columns only (an
    n-gram never seen says nothing about any class)."""
    xb = x.copy()
    xb.data[:] = 1.0
    counts = (onehot @ xb).tocsc()
    cols = np.flatnonzero(np.diff(counts.indptr))
    dense = counts[:, cols].toarray()
    return cols, np.log((dense + NB_ALPHA)
                        / (dense.sum(axis=1, keepdims=True) + NB_ALPHA * len(cols)))


def strong_hits(lex_leaf: np.ndarray, lex_strength: np.ndarray, n_leaves: int) -> np.ndarray:
    """(texts, leaves): 1 at the leaf of each text's strong keyword hit (:data:`STRONG_HIT`),
    from a :class:`TextBlock`'s ``lex_leaf`` and ``lex_strength``."""
    out = np.zeros((len(lex_leaf), n_leaves))
    ok = np.flatnonzero(lex_strength >= STRONG_HIT)
    out[ok, lex_leaf[ok]] = 1.0
    return out


def _recency(day: np.ndarray) -> np.ndarray:
    """Weight 0.5 ** (age / HALF_LIFE_DAYS) relative to the latest dated row (1 if undated)."""
    if len(day) == 0 or np.isnan(day).all():
        return np.ones(len(day))
    age = np.nan_to_num(np.nanmax(day) - day, nan=0.0)
    return 0.5 ** (age / HALF_LIFE_DAYS)
