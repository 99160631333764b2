"""A user's own statement boilerplate (:mod:`ml.boilerplate`): found in the labeled history,
left out of what is embedded and of the n-grams, kept in the merchant memory; and the
naive-Bayes n-gram feature. Real descriptions from ``../shared/data``; the real embedding model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.boilerplate import MIN_KEYS, boilerplate_words, strip_words
from ml.categorizer import TransactionCategorizer
from ml.embeddings import Embedder, InMemoryEmbeddingCache
from ml.evaluate import load_labeled_csv
from ml.labeled_data import prepare_labeled
from ml.text import merchant_key

LABELED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "labeled" / \
    "yassirawad_za_labeled" / "data" / "transactions.csv"


def test_frequent_words_spread_over_the_categories_are_boilerplate():
    cats = ["Groceries", "Eating Out", "Fuel", "Clothing"]
    pairs = [(f"shop{i} dee why nsw", cats[i % 4]) for i in range(40)]  # the home suburb
    pairs += [(f"bank{i} fee", "Bank Fees") for i in range(12)]  # frequent, but telling
    pairs += [("netflix.com", "Streaming"), ("uber trip", "Transport")]
    found = boilerplate_words(pairs)
    assert found == {"dee", "why", "nsw"}
    assert strip_words("shop3 dee why nsw", found) == "shop3"
    assert strip_words("dee why nsw", found) == "dee why nsw"  # never strips a key to nothing
    assert strip_words("bank1 fee", found) == "bank1 fee"


def test_small_histories_and_rare_words_have_none():
    few = [(f"shop{i} manly", "Groceries" if i % 2 else "Fuel") for i in range(MIN_KEYS - 1)]
    assert boilerplate_words(few) == frozenset()
    assert boilerplate_words([]) == frozenset()
    many = [(f"shop{i}", "Groceries" if i % 2 else "Fuel") for i in range(400)]
    many += [(f"shop{i} manly", "Groceries" if i % 2 else "Fuel") for i in range(9)]
    assert boilerplate_words(many) == frozenset()  # 9 keys: too few to judge


def test_the_real_file_keeps_its_telling_words():
    """The South-African file's one frequent word, "fee", is 71% one category: kept."""
    data = prepare_labeled(load_labeled_csv(LABELED))[0]
    pairs = zip(data["description"].map(merchant_key), data["category"], strict=True)
    assert boilerplate_words(pairs) == frozenset()


@pytest.fixture(scope="module")
def suburbs() -> tuple[pd.DataFrame, TransactionCategorizer, InMemoryEmbeddingCache]:
    """The real file's card purchases as a bank that appends the branch suburb writes them."""
    data = prepare_labeled(load_labeled_csv(LABELED))[0][["date", "description", "amount",
                                                          "category"]].copy()
    rng = np.random.default_rng(0)
    card = data["description"].str.contains("POS Purchase", case=False)
    tail = np.where(rng.random(len(data)) < 0.7, " DEE WHY NSW", " BROOKVALE NSW")
    data.loc[card, "description"] = data.loc[card, "description"] + tail[card.to_numpy()]
    cache = InMemoryEmbeddingCache()
    model = TransactionCategorizer(embedder=Embedder(), embedding_cache=cache)
    model.fit(data.iloc[:400][["date", "description", "amount"]], data["category"].iloc[:400])
    return data, model, cache


def test_a_banks_suffix_is_left_out_of_the_embedding_but_not_the_memory(suburbs):
    data, model, cache = suburbs
    # the home suburb is learned; the state code ends the line, so it left the merchant key
    # before this step (ml.text.LOCATION_CODES)
    assert {"dee", "why"} <= model.state_.boilerplate
    assert "pos" not in model.state_.boilerplate  # channel words are gone before this step
    later = data.iloc[400:][["date", "description", "amount"]]
    keys = model.embedding_keys(later)
    assert keys and not any(w in k.split() for k in keys for w in ("nsw", "dee", "why"))
    model.predict(later)
    # what prediction embedded is what the job records as the user's cache entries
    assert keys | model.embedding_keys(data.iloc[:400]) == set(cache.store)
    # the memory key keeps the suburb: a merchant filed before is still known by its line
    assert model.known_merchant(data.iloc[:5][["date", "description", "amount"]]).all()


def test_naive_bayes_feature_is_fitted_and_favours_the_class_of_its_ngrams(suburbs):
    _, model, _ = suburbs
    assert "char_nb" in model.weights_ and model.weights_["char_nb"] >= 0
    probe = pd.DataFrame({"date": [pd.Timestamp("2023-12-01")] * 2, "amount": [-99.0, -45.0],
                          "description": ["SMS Notification Fee", "POS Purchase Pick n Pay"]})
    from ml import candidates as cd
    from ml.model_state import prepare_rows

    st = model.state_
    _, qt = prepare_rows(st, probe, model._get_embedder(), model.embedding_cache)
    nb = cd._naive_bayes_feature(st.hist, qt.xc)
    assert nb.shape == (2, len(st.classes))
    assert np.allclose(nb.mean(axis=1), 0.0)  # centred over the classes
    assert st.classes[int(nb[0].argmax())] == "Bank Charges and Fees"
    # the channel words every card line shares weigh in too: the grocer is among the top 3
    assert "Groceries" in [st.classes[i] for i in np.argsort(-nb[1])[:3]]


def test_the_ngrams_leave_the_suffix_out_as_well(suburbs):
    """Word and character n-grams (word_sim, char_sim, char_nb) are of the line without the
    boilerplate: two lines that differ only in the suburb get the same n-gram rows, and a
    merchant seen under one suburb is as similar under the other; channel words stay."""
    _, model, _ = suburbs
    from ml.model_state import prepare_rows

    probe = pd.DataFrame({"date": [pd.Timestamp("2023-12-01")] * 3, "amount": [-45.0] * 3,
                          "description": ["POS Purchase Woolworths Dee Why NSW",
                                          "POS Purchase Woolworths Kirribilli NSW",
                                          "POS Purchase Woolworths"]})
    st = model.state_
    rows, qt = prepare_rows(st, probe, model._get_embedder(), model.embedding_cache)
    xw, xc = (m[rows.text_id].toarray() for m in (qt.xw, qt.xc))
    assert np.allclose(xw[0], xw[2]) and np.allclose(xc[0], xc[2])
    assert "kirribilli" not in st.boilerplate and not np.allclose(xw[1], xw[2])
    # the channel words are still there: a line without them has other n-grams
    _, bare = prepare_rows(st, probe.assign(description="Woolworths"), model._get_embedder(),
                           model.embedding_cache)
    assert not np.allclose(bare.xw[:1].toarray(), xw[2])
