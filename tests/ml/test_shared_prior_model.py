"""The shared prior in TransactionCategorizer: other users' filing of a merchant helps for a
merchant the user has never seen, and never outweighs the user's own history (real embedding
model, real labeled South-African history as the user's own)."""

# ruff: noqa: N806  (X is the scikit-learn name of the feature frame)

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from ml.categorizer import TransactionCategorizer
from ml.embeddings import Embedder, InMemoryEmbeddingCache
from ml.text import merchant_key

COLS = ["date", "description", "amount"]
NEW_SHOP = "POS Purchase ZORBLAX KWEMBE TRADERS * 12 Nov"
SHARED = {merchant_key(NEW_SHOP): {"Groceries": 0.9, "Household": 0.1}}


def _model(embedder: Embedder, cache: InMemoryEmbeddingCache, **kw: object
           ) -> TransactionCategorizer:
    return TransactionCategorizer(embedder=embedder, embedding_cache=cache, **kw)


def _probe() -> pd.DataFrame:
    return pd.DataFrame([("2023-11-28", NEW_SHOP, -312.4)], columns=COLS)


def test_shared_prior_speaks_for_an_unseen_merchant(embedder, cache, labeled):
    assert merchant_key(NEW_SHOP) == "zorblax kwembe traders"
    X, y = labeled[COLS], labeled["category"]
    plain = _model(embedder, cache).fit(X, y)
    shared = _model(embedder, cache, shared_prior=SHARED).fit(X, y)
    before, after = plain.predict(_probe()).iloc[0], shared.predict(_probe()).iloc[0]
    assert before["category"] != "Groceries"
    assert after["category"] == "Groceries"
    assert after["explanation"].startswith("Other users file 'zorblax kwembe traders' under Groceries")
    g = list(shared.classes_).index("Groceries")
    assert shared.predict_proba(_probe())[0, g] > plain.predict_proba(_probe())[0, g]
    assert 0.0 < after["confidence"] < 1.0


def test_the_users_own_history_beats_the_shared_prior(embedder, cache, labeled):
    own = pd.DataFrame([("2023-11-0" + str(d), NEW_SHOP.replace("12 Nov", f"0{d} Nov"), -80.0 - d)
                        for d in (2, 5, 8)], columns=COLS)
    X = pd.concat([labeled[COLS], own], ignore_index=True)
    y = list(labeled["category"]) + ["Home and Garden"] * len(own)
    model = _model(embedder, cache, shared_prior=SHARED).fit(X, y)
    out = model.predict(_probe()).iloc[0]
    assert out["category"] == "Home and Garden"
    assert out["explanation"].startswith("Same merchant as 3 transactions")


def test_a_shared_prior_for_other_merchants_changes_nothing(embedder, cache, labeled):
    X, y = labeled[COLS].head(300), labeled["category"].head(300)
    probe = labeled[COLS].iloc[300:360]
    unrelated = {"qwxz nowhere shop": {"Groceries": 1.0}, "zz custom": {"My Own Thing": 1.0}}
    a = _model(embedder, cache).fit(X, y)
    b = _model(embedder, cache, shared_prior=unrelated).fit(X, y)
    np.testing.assert_allclose(a.predict_proba(probe), b.predict_proba(probe), atol=1e-9)
    assert list(a.predict(probe)["explanation"]) == list(b.predict(probe)["explanation"])


def test_shared_prior_is_a_plain_parameter(embedder, cache):
    model = _model(embedder, cache, shared_prior=SHARED)
    assert model.get_params()["shared_prior"] is SHARED
    twin = clone(model)
    assert twin.shared_prior == SHARED and not hasattr(twin, "classes_")
    # unfitted: the prior path uses it too (a brand-new user)
    out = twin.predict(_probe()).iloc[0]
    assert out["category"] == "Groceries" and out["explanation"].startswith("Other users file")
    # custom category names in a shared prior are ignored (only the default taxonomy is shared)
    custom = _model(embedder, cache, shared_prior={merchant_key(NEW_SHOP): {"Secret Stuff": 1.0}})
    plain = _model(embedder, cache)
    assert custom.predict(_probe()).iloc[0]["category"] == plain.predict(_probe()).iloc[0]["category"]
