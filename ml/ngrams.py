"""Hashed word and character n-grams of normalized descriptions, remembered per text.

The categorizer compares descriptions by their word 1-2-grams and character 3-5-grams (within
words), hashed (:data:`VEC_WORD`, :data:`VEC_CHAR`) and L2-normalized per row. Hashing is
stateless, so a text's row never changes; computing them is most of the cost of a refit once
the embeddings are cached (some 0.45 s for 15,000 texts on this 2-core machine), and the job
refits a user after every correction on the same texts. :func:`ngram_rows` therefore keeps
each text's rows in a bounded in-process LRU (like :func:`ml.text.normalize_description`): at
most :data:`CACHE_SIZE` texts, some 23 MB (only the feature indices are kept: the values of a
binary, L2-normalized row are all the same). It holds hashed feature indices, keyed by the
normalized text, and is never exposed beyond this module.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

log = logging.getLogger(__name__)

VEC_WORD = HashingVectorizer(analyzer="word", ngram_range=(1, 2), binary=True, norm="l2",
                             alternate_sign=False, n_features=2**18,
                             token_pattern=r"(?u)\b\w[\w&'.-]*\b")  # noqa: S106
VEC_CHAR = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), binary=True, norm="l2",
                             alternate_sign=False, n_features=2**18)
CACHE_SIZE = 1 << 15
"""Texts whose n-gram rows are remembered (least recently used go first)."""

_rows: OrderedDict[str, tuple[np.ndarray, int]] = OrderedDict()  # indices, word count
_lock = threading.Lock()


def _split(word: sp.csr_matrix, char: sp.csr_matrix) -> list[tuple[np.ndarray, int]]:
    """Per row, its word then character feature indices in one array, and how many are word
    features. The values need no storing: rows are binary and L2-normalized, so every value
    of a row is 1 / sqrt(its number of features)."""
    return [(np.concatenate([word.indices[a:b], char.indices[c:d]]), b - a)
            for a, b, c, d in zip(word.indptr[:-1], word.indptr[1:], char.indptr[:-1],
                                  char.indptr[1:], strict=True)]


def _stack(parts: list[np.ndarray], n_features: int) -> sp.csr_matrix:
    lengths = np.fromiter((len(i) for i in parts), dtype=np.int64, count=len(parts))
    indptr = np.r_[0, np.cumsum(lengths)]
    indices = np.concatenate(parts) if parts else np.zeros(0, np.int32)
    values = np.repeat(1.0 / np.sqrt(np.maximum(lengths, 1)), lengths)
    return sp.csr_matrix((values, indices, indptr), shape=(len(parts), n_features))


def ngram_rows(texts: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(word, character) n-gram matrices of ``texts``, one row each, as
    ``VEC_WORD.transform(texts)`` / ``VEC_CHAR.transform(texts)`` give them."""
    with _lock:
        found = {t: _rows[t] for t in dict.fromkeys(texts) if t in _rows}
        for t in found:
            _rows.move_to_end(t)
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        fresh = dict(zip(missing, _split(VEC_WORD.transform(missing).tocsr(),
                                         VEC_CHAR.transform(missing).tocsr()), strict=True))
        found.update(fresh)
        with _lock:
            _rows.update(fresh)
            while len(_rows) > CACHE_SIZE:
                _rows.popitem(last=False)
    parts = [found[t] for t in texts]
    return (_stack([i[:n] for i, n in parts], VEC_WORD.n_features),
            _stack([i[n:] for i, n in parts], VEC_CHAR.n_features))
