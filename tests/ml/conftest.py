"""Shared fixtures of the categorizer tests: the real embedding model, an embedding cache per
test module, and the real labeled South-African file from ``../shared/data``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ml.embeddings import Embedder, InMemoryEmbeddingCache
from ml.evaluate import load_labeled_csv
from ml.labeled_data import prepare_labeled

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LABELED = SHARED_DATA / "labeled" / "yassirawad_za_labeled" / "data" / "transactions.csv"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def cache() -> InMemoryEmbeddingCache:
    return InMemoryEmbeddingCache()


@pytest.fixture(scope="module")
def labeled() -> pd.DataFrame:
    data, dropped = prepare_labeled(load_labeled_csv(LABELED))
    assert dropped == 0 and len(data) == 451
    return data
