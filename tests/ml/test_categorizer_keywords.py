"""How the categorizer uses the built-in keyword lexicon, on the real embedding model.

A strong keyword ("uber", "esso") names a kind of merchant. The model learns from the user's
own filings which of *their* categories that kind goes to (``History.lex_map``), counts only
strong keywords for it (not the ambiguous "~" ones such as "paypal"), and does not pretend to
know where a kind goes when none of the user's category names resembles it.
"""

# ruff: noqa: N806  (X is the scikit-learn name of the feature frame)

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.importing.parse import parse_statement
from ml.categorizer import TransactionCategorizer
from ml.history import LEX_TRUST
from ml.prior import DEFAULT_CATEGORIES, lexicon_match
from tests.ml.conftest import SHARED_DATA

COLS = ["date", "description", "amount"]
HISTORY = [
    ("2024-01-02", "UBER *TRIP HELP.UBER.COM", -12.5, "Commute"),
    ("2024-01-09", "BOLT.EU/O/2401091", -9.8, "Commute"),
    ("2024-01-16", "UBER *TRIP HELP.UBER.COM", -15.1, "Commute"),
    ("2024-01-03", "TESCO STORES 2231", -41.5, "Food"),
    ("2024-01-10", "SAINSBURYS S/MKTS", -33.2, "Food"),
    ("2024-01-11", "GREGGS 1123", -4.2, "Food"),
    ("2024-01-05", "NETFLIX.COM", -15.99, "Fun"),
    ("2024-01-06", "SPOTIFY P1234", -10.99, "Fun"),
    ("2024-01-20", "PAYPAL *GAMESHUB 18D3", -20.0, "Fun"),
    ("2024-01-25", "SALARY ACME LTD", 3100.0, "Pay"),
]


@pytest.fixture(scope="module")
def fitted(embedder, cache) -> TransactionCategorizer:
    X = pd.DataFrame([r[:3] for r in HISTORY], columns=COLS)
    return TransactionCategorizer(embedder=embedder, embedding_cache=cache).fit(
        X, [r[3] for r in HISTORY])


def _predict(model: TransactionCategorizer, *descriptions: str) -> pd.DataFrame:
    return model.predict(pd.DataFrame([("2024-02-01", d, -18.0) for d in descriptions],
                                      columns=COLS))


def test_a_new_brand_of_a_known_kind_goes_to_the_users_own_category(fitted):
    # Lyft was never filed, but two other rideshare brands were filed as "Commute"
    out = _predict(fitted, "LYFT RIDE 4411 SAN FRANCISCO")
    assert out["category"].iloc[0] == "Commute"
    assert out["confidence"].iloc[0] > 0.8
    assert "which you file as Commute" in out["explanation"].iloc[0]
    st = fitted.state_
    rideshare = st.lex_map[DEFAULT_CATEGORIES.index("Taxi & Rideshare")]
    assert st.classes[int(rideshare.argmax())] == "Commute" and rideshare.max() > 0.5


def test_only_strong_keywords_are_counted(fitted):
    st = fitted.state_
    online = DEFAULT_CATEGORIES.index("Online Shopping")  # "paypal" is an ambiguous keyword
    streaming = DEFAULT_CATEGORIES.index("Streaming")
    assert st.hist.lex_counts[online].sum() == 0.0
    # two filings (weighted by recency, within weeks of each other)
    assert 1.9 < st.hist.lex_counts[streaming, st.classes.index("Fun")] <= 2.0


def test_a_kind_no_category_name_resembles_is_not_forced_onto_one(fitted):
    # fuel: none of Commute, Food, Fun, Pay is named like it; "Food" merely looks closest
    out = _predict(fitted, "ESSO GARAGE 55")
    assert out["confidence"].iloc[0] < 0.7
    # and its explanation does not claim a filing habit the user does not have
    assert "which you file as" not in out["explanation"].iloc[0]
    st = fitted.state_
    fuel = st.leaf_prior[DEFAULT_CATEGORIES.index("Fuel")]
    assert fuel.max() < 0.5  # spread, not a confident name match


def test_without_history_a_keyword_keeps_most_but_not_all_of_its_leaf(embedder, cache):
    model = TransactionCategorizer(embedder=embedder, embedding_cache=cache).fit(
        pd.DataFrame(columns=COLS), [])
    st = model.state_
    row = st.lex_map[DEFAULT_CATEGORIES.index("Streaming")]
    assert row[st.classes.index("Streaming")] == pytest.approx(
        LEX_TRUST + (1 - LEX_TRUST) / len(st.classes))
    assert np.isclose(row.sum(), 1.0)


def test_nearest_neighbour_search_agrees_in_bfloat16_and_float32(embedder, cache, labeled,
                                                                 monkeypatch):
    # large searches use bfloat16 only where the CPU has it natively; both paths must agree
    from ml import candidates

    X, y = labeled[COLS], labeled["category"]
    model = TransactionCategorizer(embedder=embedder, embedding_cache=cache).fit(
        X.iloc[:300], y.iloc[:300])
    monkeypatch.setattr(candidates, "_BF16_MIN", 0)
    found = {}
    for native in (True, False):
        monkeypatch.setattr(candidates, "bf16_supported", lambda native=native: native)
        found[native] = model.predict_proba(X.iloc[300:])
    assert np.abs(found[True] - found[False]).max() < 0.05
    assert (found[True].argmax(axis=1) == found[False].argmax(axis=1)).mean() > 0.97


BROKERAGE_OFX = ["ofxparse/tests/fixtures/fidelity.ofx", "ofxparse/tests/fixtures/vanguard.ofx",
                 "ofxparser_php/tests/fixtures/ofxdata-google.ofx",
                 "ofxparser_php/tests/fixtures/ofxdata-investments-xml.ofx"]


def test_investment_records_of_real_brokerage_statements_are_investments(embedder, cache):
    # core.importing.ofx_invest writes an investment record as "BUYSTOCK 5 T TELUS
    # Corporation": the security's name is no merchant. Before the OFX actions were in the
    # lexicon, these went to Phone & Internet ("telus"), Online Shopping, Other Income, Salary.
    rows = []
    for name in BROKERAGE_OFX:
        path = SHARED_DATA / "statements" / name
        rows += [(t.date, t.description, float(t.amount))
                 for t in parse_statement(path.read_bytes(), path.name).transactions]
    X = pd.DataFrame(rows, columns=COLS)
    action = X["description"].str.split().str[0]
    trades = action.str.match(r"^(BUY|SELL)(STOCK|MF)$|^REINVEST$")
    income = X["description"].str.startswith("INCOME DIV")
    assert trades.sum() >= 15 and income.sum() >= 5 and action.eq("SELLSTOCK").any()
    out = TransactionCategorizer(embedder=embedder, embedding_cache=cache).predict(X)
    assert (out.loc[trades, "category"] == "Savings & Investments").all(), \
        out.loc[trades & (out["category"] != "Savings & Investments")]
    assert (out.loc[income, "category"] == "Interest & Dividends").all()
    assert out.loc[trades, "explanation"].str.contains("is usually Savings & Investments").all()


def test_a_utility_bill_paid_by_automatic_withdrawal_is_a_utility(embedder, cache):
    # "withdrawal" (a weak ATM keyword) is longer than "electric" (weak Utilities), so the
    # real checking.ofx line below went to ATM Withdrawal; "electric bill" names the kind
    out = TransactionCategorizer(embedder=embedder, embedding_cache=cache).predict(
        pd.DataFrame([("2011-04-05", "AUTOMATIC WITHDRAWAL, ELECTRIC BILL WEB(S )", -34.51),
                      ("2019-01-10", "A012345-67890 Energy bill Jan 2019", -47.0)], columns=COLS))
    assert list(out["category"]) == ["Utilities", "Utilities"]


# (file under ../shared/data/statements, a line of it, the default leaf it is about)
EUROPEAN_LINES = [
    ("bank2ynab/test/test-data/CSV_A_20180414_112204.csv", "RENTE LENING", "Loan Repayment"),
    ("ofxparser_php/tests/fixtures/ofxdata-bb-two-stmtrs.ofx", "SEGURO VIDA EMPRESA FLEX",
     "Home Insurance"),
    ("csv2ofx/data/test/ingesp.csv", "Reintegro efectivo tarjeta B.B.V.A. MAT", "ATM Withdrawal"),
    ("csv2ofx/data/test/ingesp.csv", "Devolución Tarjeta AMZN Mktp ES", "Refunds"),
    ("mt940/mt940_tests/jejik/triodos.sta", "HUUR KANTOOR - FEB 2010", "Rent & Mortgage"),
]


def test_everyday_words_of_european_bank_lines_name_their_kind(embedder, cache):
    # the encoder reads English only: before ml.lexicon_eu these real lines were guessed as
    # Accommodation ("rente" read as rent), Clothing, Fuel, Online Shopping, Holiday Activities
    found = {}
    for name, line, leaf in EUROPEAN_LINES:
        path = SHARED_DATA / "statements" / name
        txs = parse_statement(path.read_bytes(), path.name).transactions
        hit = [t for t in txs if t.description == line]
        assert hit, f"{line!r} not in {name}"
        found[line] = (hit[0].date, line, float(hit[0].amount), leaf)
    X = pd.DataFrame([v[:3] for v in found.values()], columns=COLS)
    out = TransactionCategorizer(embedder=embedder, embedding_cache=cache).predict(X)
    assert list(out["category"]) == [v[3] for v in found.values()]
    assert out["explanation"].str.contains("is usually").all()


def test_keywords_match_with_or_without_accents():
    assert lexicon_match("prelevement loyer")[1] == "Rent & Mortgage"
    assert lexicon_match("devolucion tarjeta")[1] == lexicon_match("devolución tarjeta")[1] \
        == "Refunds"
    assert lexicon_match("cuenta nomina")[1] == "Salary"
