"""The n-gram rows remembered per text (:mod:`ml.ngrams`) are exactly what the hashing
vectorizers give, in the order asked for, with repeats, after eviction and with empty texts."""

from __future__ import annotations

import numpy as np

from ml import ngrams
from ml.ngrams import VEC_CHAR, VEC_WORD, ngram_rows

TEXTS = ["tesco stores", "", "uber trip help.uber.com", "tesco stores", "café crème", "a"]


def _same(texts: list[str]) -> None:
    word, char = ngram_rows(texts)
    for got, vec in ((word, VEC_WORD), (char, VEC_CHAR)):
        want = vec.transform(texts).tocsr()
        assert got.shape == want.shape == (len(texts), vec.n_features)
        assert abs(got - want).max() == 0
        assert np.allclose(np.asarray(got.multiply(got).sum(axis=1)).ravel()[
            [i for i, t in enumerate(texts) if t.strip()]], 1.0)  # L2-normalized rows


def test_rows_match_the_vectorizers_cold_and_remembered() -> None:
    _same(TEXTS)  # computed
    _same(TEXTS[::-1])  # remembered, other order
    _same(["new text", *TEXTS])  # partly remembered


def test_the_cache_stays_bounded_and_still_answers_after_eviction(monkeypatch) -> None:
    monkeypatch.setattr(ngrams, "CACHE_SIZE", 3)
    many = [f"merchant {w}" for w in ("alpha", "bravo", "charlie", "delta", "echo")]
    _same(many)  # more texts than the cache holds in one call
    assert len(ngrams._rows) <= 3
    _same(many[:2] + TEXTS)
    assert len(ngrams._rows) <= 3


def test_no_text_or_an_empty_one() -> None:
    _same([""])
    word, char = ngram_rows([])
    assert word.shape == (0, VEC_WORD.n_features) and char.shape == (0, VEC_CHAR.n_features)
