"""Lines the sentence encoder cannot read, on the real embedding model.

- A foreign payment-channel word is what the encoder misreads most: "Überweisung" (German for
  a bank transfer) embeds next to "Uber", so a new Austrian user saw it as Taxi & Rideshare,
  and a user who files Uber as "Commute" saw it as Commute. A line of nothing but channel
  words is embedded in English ("transfer").
- A line with nothing readable left after normalization (a bare reference, "Reference
  201301234") is no merchant: every such line used to share the empty merchant key, so one
  filed as Rent made the next unreadable line "Same merchant as ... Rent" at 99.5%; and the
  encoder's vector for the empty string read as Charity.
"""

# ruff: noqa: N806  (X is the scikit-learn name of the feature frame)

from __future__ import annotations

import pandas as pd
import pytest

from ml.categorizer import TransactionCategorizer
from ml.model_state import embedded_text
from ml.text import english_channel

COLS = ["date", "description", "amount"]
HISTORY = [
    ("2024-01-02", "UBER *TRIP HELP.UBER.COM", -12.5, "Commute"),
    ("2024-01-09", "UBER *TRIP HELP.UBER.COM", -9.8, "Commute"),
    ("2024-01-16", "UBER *TRIP HELP.UBER.COM", -15.1, "Commute"),
    ("2024-01-03", "TESCO STORES 2231", -41.5, "Food"),
    ("2024-01-10", "TESCO STORES 2231", -33.2, "Food"),
    ("2024-01-01", "Reference 201301234", -800.0, "Rent"),
    ("2024-01-05", "999PN0911DAUERAUFTR.NR. 14", -620.0, "Rent"),
    ("2024-02-01", "Reference 201302234", -800.0, "Rent"),
    ("2024-01-25", "TRANSFER TO SAVINGS", -200.0, "Savings"),
    ("2024-02-25", "TRANSFER TO SAVINGS", -200.0, "Savings"),
]


@pytest.fixture(scope="module")
def fitted(embedder, cache) -> TransactionCategorizer:
    X = pd.DataFrame([r[:3] for r in HISTORY], columns=COLS)
    return TransactionCategorizer(embedder=embedder, embedding_cache=cache).fit(
        X, [r[3] for r in HISTORY])


def _rows(*lines: tuple[str, float]) -> pd.DataFrame:
    return pd.DataFrame([("2024-03-01", d, a) for d, a in lines], columns=COLS)


def test_foreign_channel_words_are_embedded_in_english():
    assert english_channel("internet-überweisung") == "transfer"  # not "online" shopping
    assert english_channel("lastschrift") == "direct debit"
    assert english_channel("internet") == "internet"  # English stays as it is
    assert english_channel("hofer dankt") == "hofer dankt"
    # only a line of nothing but channel words is embedded that way; a named payee is not
    assert embedded_text("internet-überweisung", frozenset()) == "transfer"
    assert embedded_text("internet-überweisung acodemy gmbh", frozenset()) == "acodemy"


def test_a_german_bank_transfer_is_not_read_as_uber(fitted, embedder, cache):
    lines = _rows(("Überweisung", 24.0), ("INTERNET-Überweisung", -175.0))
    new_user = TransactionCategorizer(embedder=embedder, embedding_cache=cache).predict(lines)
    assert list(new_user["category"]) == ["Between Accounts", "Between Accounts"]
    assert new_user["explanation"].str.contains("'überweisung'").all()
    out = fitted.predict(lines)
    assert "Commute" not in set(out["category"])
    assert list(out["category"]) == ["Savings", "Savings"]


def test_unreadable_lines_are_not_one_merchant(fitted):
    lines = _rows(("Reference 999999", -12.0), ("0000/661 VZ0000000000000000", -5.0),
                  ("999PN0911DAUERAUFTR.NR. 14", -620.0))
    out = fitted.predict(lines)
    assert list(fitted.known_merchant(lines)) == [False, False, True]
    assert not out["explanation"].iloc[:2].str.contains("Same merchant").any()
    assert (out["confidence"].iloc[:2] < 0.9).all()
    # the very same line again (a standing order's fixed reference) is the same payee
    assert out["category"].iloc[2] == "Rent" and out["confidence"].iloc[2] > 0.9
    assert "Same merchant as 1 transaction you filed under Rent" in out["explanation"].iloc[2]


def test_an_unreadable_line_gives_the_prior_nothing_to_go_on(embedder, cache):
    out = TransactionCategorizer(embedder=embedder, embedding_cache=cache).predict(
        _rows(("Reference 201301234", -10.0), ("0000/661 VZ0000000000000000", -6.0)))
    assert (out["confidence"] < 0.05).all()
    assert not out["explanation"].str.contains("reads like").any()
