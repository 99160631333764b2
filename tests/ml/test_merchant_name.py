"""The merchant's name as text: where a row's merchant names more than its description (a name
the user gave by renaming, or a bank's payee column), the categorizer reads it in front of the
line; the importer's own reading of the line adds nothing and changes nothing. Real embedding
model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.categorizer import TransactionCategorizer
from ml.row_inputs import lines_read, names_more, normalized


@pytest.mark.parametrize(("merchant", "description", "more"), [
    ("Hotel Okura", "POS20SEP BV", True),  # renamed by the user
    ("Albert Heijn", "CARD PAYMENT AH 3968 MADRID", True),  # a bank's merchant column
    ("REWE MARKT GMBH", "CARD PAYMENT REWE MARKT GM", False),  # the line cut off mid-word
    ("STATOIL", "POS01SEP STATOIL", False),  # the importer's name from the line
    ("ÉÁÚ ÜÜÜÜMLAUT", "Éáú üüüümlaut!     GP", False),  # upper-cased by the importer
    ("AB", "POS CARD", False),  # no word of 3+ letters: nothing to add
    ("SPAR", "EUROSPAR 12", False),  # its letters are a run of the line's
])
def test_names_more(merchant, description, more):
    assert names_more(merchant, description) is more


def test_lines_read_puts_the_name_in_front_once_per_pair():
    raw = np.array(["POS20SEP BV", "POS20SEP BV", "SHELL 33", "SHELL 33"], dtype=object)
    merchant = np.array(["Hotel Okura", None, "SHELL", ""], dtype=object)
    assert list(lines_read(raw, merchant)) == ["Hotel Okura · POS20SEP BV", "POS20SEP BV",
                                               "SHELL 33", "SHELL 33"]
    frame = pd.DataFrame({"description": raw, "merchant": merchant})
    distinct, text_id, keys, _ = normalized(frame)
    assert distinct == ["hotel okura pos bv", "pos bv", "shell"]
    assert list(text_id) == [0, 1, 2, 2]
    assert list(keys) == ["m:hotel okura", "pos bv", "m:shell", "shell"]  # memory: as before


def test_a_renamed_merchant_is_read_by_the_prior_and_the_history(embedder, cache):
    model = TransactionCategorizer(embedder=embedder, embedding_cache=cache)
    rows = pd.DataFrame({"date": ["2017-09-22"] * 2, "description": ["POS20SEP BV"] * 2,
                         "amount": [-103.56] * 2, "merchant": [None, "Hotel Okura"]})
    before, after = model.predict(rows).itertuples(index=False)
    assert before.category != "Accommodation" and before.confidence < 0.2
    assert after.category == "Accommodation" and after.confidence > 0.5
    assert "hotel" in after.explanation
    # fitted: the line says nothing, the name the user gave says Starbucks
    history = pd.DataFrame({"date": ["2017-08-01", "2017-08-02", "2017-08-03"],
                            "description": ["COSTA COFFEE 12", "TESCO STORES 2231", "SHELL 33"],
                            "amount": [-3.2, -20.0, -40.0]})
    model.fit(history, pd.Series(["Coffee & Snacks", "Groceries", "Fuel"]))
    card = pd.DataFrame({"date": ["2017-09-05"] * 2, "description": ["P0109US 5.00@1.18483"] * 2,
                         "amount": [-4.22] * 2, "merchant": [None, "Starbucks"]})
    plain, named = model.predict(card).itertuples(index=False)
    assert plain.confidence < 0.3  # only the small amount points to coffee
    assert named.category == "Coffee & Snacks" and named.confidence > 0.5
    assert "starbucks" in named.explanation


def test_the_demo_evaluation_can_keep_the_merchant_column():
    from ml.evaluate import demo_frame, feature_columns
    from ml.labeled_data import prepare_labeled

    assert "merchant" not in demo_frame(seed=7, months=3).columns
    data, dropped = prepare_labeled(demo_frame(seed=7, months=3, merchant=True))
    assert dropped == 0 and "merchant" in feature_columns(data)
    read = lines_read(data["description"].to_numpy(dtype=object),
                      data["merchant"].to_numpy(dtype=object))
    named = read != data["description"].to_numpy(dtype=object)
    # the generator names some shops as the bank's line does not ("Albert Heijn", "AH 3968")
    assert 0 < named.sum() < len(data)
    assert all(r.endswith(" · " + d) for r, d in zip(read[named], data["description"][named],
                                                      strict=True))
    assert list(named) == [names_more(m, d) for m, d in zip(data["merchant"], data["description"],
                                                             strict=True)]
