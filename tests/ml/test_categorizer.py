"""TransactionCategorizer on the real embedding model and the real labeled South-African file."""

# ruff: noqa: N806  (X is the scikit-learn name of the feature frame)

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from ml.categorizer import TransactionCategorizer
from ml.embeddings import Embedder, InMemoryEmbeddingCache
from ml.explain import WEAK_BELOW
from ml.prior import DEFAULT_CATEGORIES
from ml.text import merchant_key

COLS = ["date", "description", "amount"]


def _model(embedder: Embedder, cache: InMemoryEmbeddingCache, **kw: object
           ) -> TransactionCategorizer:
    return TransactionCategorizer(embedder=embedder, embedding_cache=cache, **kw)


def _frame(*rows: tuple[str, str, float], index: list | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS, index=index)


def test_unfitted_model_predicts_from_the_prior(embedder, cache):
    model = _model(embedder, cache)
    X = _frame(("2024-03-01", "NETFLIX.COM", -15.99), ("2024-03-02", "qwzx blorp 7781", -23.0),
               ("2024-03-02", "TESCO STORES 2231 LONDON", -41.5),
               ("2024-03-25", "SALARY ACME LTD MAR", 3100.0))
    out = model.predict(X)
    assert list(out["category"].iloc[[0, 2, 3]]) == ["Streaming", "Groceries", "Salary"]
    conf = out["confidence"].to_numpy()
    assert conf[0] > 0.5 and conf[1] < 0.2 and conf[0] > 3 * conf[1]
    assert out["explanation"].iloc[0] == "Built-in guess: 'netflix' is usually Streaming"
    assert all(e.startswith("Built-in guess") for e in out["explanation"])
    assert not hasattr(model, "classes_")  # predicting did not fit anything


def test_no_labels_falls_back_to_the_prior(embedder, cache, labeled):
    X = labeled[COLS].head(30)
    model = _model(embedder, cache).fit(X, [None] * len(X))
    assert list(model.classes_) == DEFAULT_CATEGORIES and model.n_labeled_ == 0
    out = model.predict(_frame(("2024-01-05", "Recurring Card Purchase: Netflix.com", -199.0)))
    assert out["category"].iloc[0] == "Streaming"
    empty = _model(embedder, cache).fit(X.iloc[:0], [])
    assert list(empty.classes_) == DEFAULT_CATEGORIES
    assert empty.predict(X.iloc[:0]).empty


def test_a_single_labeled_row_is_enough(embedder, cache, labeled):
    row = labeled[labeled["description"].str.contains("Woolworths")].head(1)
    model = _model(embedder, cache).fit(row[COLS], ["Groceries"])
    # too little history to measure precision: nothing is auto-applied yet
    assert list(model.classes_) == ["Groceries"] and model.auto_apply_threshold_ == 1.0
    out = model.predict(labeled[COLS].head(5))
    assert set(out["category"]) == {"Groceries"} and out["confidence"].between(0, 1).all()


def test_one_category_is_predicted_with_similarity_based_confidence(embedder, cache, labeled):
    groceries = labeled[labeled["category"] == "Groceries"]
    model = _model(embedder, cache).fit(groceries[COLS].head(20), groceries["category"].head(20))
    assert list(model.classes_) == ["Groceries"]
    probe = _frame(("2023-11-20", "POS Purchase Woolworths  * 18 Nov", -412.3),
                   ("2023-11-20", "Debicheck Authentication SMS Fee", -1.5))
    out = model.predict(probe)
    assert set(out["category"]) == {"Groceries"}
    assert out["confidence"].iloc[0] > out["confidence"].iloc[1]
    assert out["confidence"].between(0, 1).all()


def test_predict_is_aligned_with_the_index(embedder, cache, labeled):
    model = _model(embedder, cache).fit(labeled[COLS].head(200), labeled["category"].head(200))
    X = labeled[COLS].iloc[200:260].sample(frac=1.0, random_state=3)
    X.index = [f"tx-{i}" for i in range(len(X))]
    out = model.predict(X)
    assert list(out.columns) == ["category", "confidence", "explanation"]
    assert list(out.index) == list(X.index)
    assert out["confidence"].between(0.0, 1.0).all()
    assert set(out["category"]) <= set(model.classes_)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), len(model.classes_))
    assert (proba.sum(axis=1) <= 1.0 + 1e-9).all()
    np.testing.assert_allclose(proba.max(axis=1), out["confidence"].to_numpy())


def test_top_k_lists_the_best_suggestions(embedder, cache, labeled):
    model = _model(embedder, cache).fit(labeled[COLS].head(300), labeled["category"].head(300))
    X = labeled[COLS].iloc[300:340]
    top = model.top_k(X, k=3)
    assert list(top.columns) == ["category_1", "confidence_1", "category_2", "confidence_2",
                                 "category_3", "confidence_3"]
    assert list(top.index) == list(X.index)
    c = top[["confidence_1", "confidence_2", "confidence_3"]].to_numpy()
    assert (np.diff(c, axis=1) <= 1e-12).all() and (c.sum(axis=1) <= 1.0 + 1e-9).all()
    assert (top["category_1"] == model.predict(X)["category"]).all()
    assert (top["category_1"] != top["category_2"]).all()


def test_one_correction_fixes_the_next_same_merchant_prediction(embedder, cache, labeled):
    history = labeled.iloc[:300]
    later = labeled.iloc[300:]
    keys = later["description"].map(merchant_key)
    known = set(history["description"].map(merchant_key))
    repeated = [k for k, n in keys.value_counts().items() if n >= 2 and k not in known]
    assert len(repeated) >= 3
    fixed_a_mistake = False
    for key in repeated[:6]:
        first, second = later[keys == key].iloc[0], later[keys == key].iloc[1]
        before = _model(embedder, cache).fit(history[COLS], history["category"])
        guess = before.predict(second[COLS].to_frame().T)["category"].iloc[0]
        # the user files the first occurrence: its true label, or (if the model already
        # had it right) a different category, so the test always changes the answer
        label = first["category"] if guess != first["category"] else \
            before.top_k(second[COLS].to_frame().T)["category_2"].iloc[0]
        fixed_a_mistake |= guess != label
        after = _model(embedder, cache).fit(
            pd.concat([history[COLS], first[COLS].to_frame().T]),
            [*history["category"], label])
        out = after.predict(second[COLS].to_frame().T)
        assert out["category"].iloc[0] == label, key
        assert out["explanation"].iloc[0].startswith("Same merchant as 1 transaction")
    assert fixed_a_mistake


def test_one_correction_covers_the_same_shop_written_another_way(embedder, cache, labeled):
    # a card line as the Commonwealth Bank writes it plainly, contactless and with a value
    # date: one merchant to the model, so filing one teaches the others
    history = labeled.iloc[:200]
    filed = pd.DataFrame({"date": [pd.Timestamp("2023-12-01")], "amount": [-19.99],
                          "description": ["PLINE PH DEE WHY DEE WHY AU"]})
    later = pd.DataFrame({"date": [pd.Timestamp("2023-12-20")] * 2, "amount": [-24.50, -7.10],
                          "description": ["PLINE PH DEE WHY DEE WHY TAP AND PAY 0733",
                                          "PLINE PH DEE WHY DEE WHY AUS Card xx3636 "
                                          "Value Date: 21/12/2023"]})
    label = "Medical"
    before = _model(embedder, cache).fit(history[COLS], history["category"])
    assert not before.known_merchant(later[COLS]).any()
    model = _model(embedder, cache).fit(pd.concat([history[COLS], filed[COLS]]),
                                        [*history["category"], label])
    assert model.known_merchant(later[COLS]).all()
    out = model.predict(later[COLS])
    assert (out["category"] == label).all()
    assert out["explanation"].str.startswith("Same merchant as 1 transaction").all()


def test_explanations_name_their_evidence(embedder, cache, labeled):
    model = _model(embedder, cache).fit(labeled[COLS].head(350), labeled["category"].head(350))
    out = model.predict(labeled[COLS].iloc[350:])
    assert out["explanation"].map(lambda e: isinstance(e, str) and len(e) > 10).all()
    same = out[out["explanation"].str.startswith("Same merchant as")]
    assert len(same) > 10
    for text, cat in zip(same["explanation"], same["category"], strict=True):
        m = re.fullmatch(r"Same merchant as (\d+) transactions? you filed under (.+)", text)
        assert m and int(m.group(1)) >= 1 and m.group(2) == cat
    assert out["explanation"].str.startswith("Similar to '").any() or \
        out["explanation"].str.startswith("Looks like").any()
    # a reason never sounds surer than its number
    weak = out["explanation"].str.endswith("(weak evidence)")
    assert weak.any() and (weak == ((out["confidence"] < WEAK_BELOW) & ~out["explanation"]
                                    .str.endswith("(little evidence)"))).all()


def test_a_few_dozen_rows_are_enough_for_repeated_merchants(embedder, cache, labeled):
    model = _model(embedder, cache).fit(labeled[COLS].head(30), labeled["category"].head(30))
    nxt = labeled.iloc[30:80]
    out = model.predict(nxt[COLS])
    seen = nxt["description"].map(merchant_key).isin(
        set(labeled["description"].head(30).map(merchant_key)))
    assert seen.sum() >= 10
    assert (out["category"][seen] == nxt["category"][seen]).mean() >= 0.8


def test_follows_scikit_learn_conventions(embedder, cache, labeled):
    model = _model(embedder, cache, reg=2.0)
    twin = clone(model)
    assert twin.get_params()["reg"] == 2.0 and not hasattr(twin, "state_")
    assert model.fit(labeled[COLS].head(50), labeled["category"].head(50)) is model
    assert model.model_version_ and set(model.weights_) >= {"mem_frac", "knn_max", "zs"}
    with pytest.raises(ValueError):
        model.predict(pd.DataFrame({"text": ["x"]}))
