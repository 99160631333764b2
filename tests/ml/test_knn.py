"""The nearest-neighbour feature (:func:`ml.candidates.knn_class_max`) against a brute-force
computation, on embeddings with many duplicates (descriptions sharing a merchant key share
one embedding, and the search multiplies each distinct vector once)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ml.candidates import knn_class_max


def _brute(col_text: np.ndarray, col_class: np.ndarray, n_classes: int, hist_emb: np.ndarray,
           q_emb: np.ndarray) -> np.ndarray:
    out = np.zeros((len(q_emb), n_classes), dtype=np.float32)
    for c in range(n_classes):
        texts = col_text[col_class == c]
        if len(texts):
            out[:, c] = np.clip((q_emb @ hist_emb[texts].T).max(axis=1), 0.0, 1.0)
    return out


def test_same_as_brute_force_with_duplicate_embeddings():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(40, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[0] = 0.0  # a line with nothing readable: a zero embedding
    hist_emb = vectors[rng.integers(0, 40, 300)]  # 300 history texts, 40 distinct vectors
    n_texts, n_classes = len(hist_emb), 9  # classes 7 and 8 have no filing
    pairs = np.unique(rng.integers(0, 7, 500) * n_texts + rng.integers(0, n_texts, 500))
    hist = SimpleNamespace(col_text=pairs % n_texts, col_class=pairs // n_texts,
                           n_classes=n_classes)
    q_emb = np.concatenate([vectors[rng.integers(0, 40, 700)],
                            rng.normal(size=(50, 16)).astype(np.float32)])  # 50 unseen ones
    got = knn_class_max(hist, hist_emb, q_emb, chunk=64)
    want = _brute(hist.col_text, hist.col_class, n_classes, hist_emb, q_emb)
    assert got.shape == (750, n_classes)
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert (got[:, 7:] == 0).all()
    seen = np.unique(hist.col_text)
    same = (q_emb[:, None, :] == hist_emb[seen][None, :, :]).all(axis=2).any(axis=1)
    assert same.sum() > 100  # most queries have an identical history vector somewhere...
    assert np.isclose(got[same & (np.abs(q_emb).sum(axis=1) > 0)].max(axis=1), 1.0,
                      atol=1e-5).all()  # ...and are at similarity 1 to it


def test_empty_history_or_queries():
    hist = SimpleNamespace(col_text=np.zeros(0, dtype=int), col_class=np.zeros(0, dtype=int),
                           n_classes=3)
    assert knn_class_max(hist, np.zeros((0, 4), np.float32),
                         np.ones((2, 4), np.float32)).shape == (2, 3)
    hist.col_text, hist.col_class = np.array([0]), np.array([1])
    assert knn_class_max(hist, np.ones((1, 4), np.float32),
                         np.zeros((0, 4), np.float32)).shape == (0, 3)
