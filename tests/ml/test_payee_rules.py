"""The "three identical filings" payee rules (:mod:`ml.payee_rules`) the categorizer is measured
against, and how the evaluation reports both after a merchant's first, second and third filing
(:mod:`ml.eval_groups`), on hand-made rows and on the real labeled file."""

# ruff: noqa: N806  (scikit-learn names: X is the feature frame)
from __future__ import annotations

import numpy as np
import pandas as pd

from ml.eval_groups import by_earlier_filings, earlier_filings
from ml.evaluate import online_evaluation
from ml.payee_rules import PayeeRuleLearner, payee_keys
from ml.row_inputs import normalized

DAY = pd.Timestamp("2024-01-01")


def _rows(filings: list[tuple[str, str]], step_days: int = 7) -> tuple[pd.DataFrame, pd.Series]:
    X = pd.DataFrame({"date": [DAY + pd.Timedelta(days=step_days * i)
                               for i in range(len(filings))],
                      "description": [d for d, _ in filings],
                      "amount": [-10.0] * len(filings)})
    return X, pd.Series([c for _, c in filings], dtype=object)


def _rule(filings: list[tuple[str, str]], **kw) -> object:
    X, y = _rows(filings, **kw)
    return PayeeRuleLearner().fit(X, y).predict(X.iloc[[-1]])["category"].iloc[0]


def test_three_identical_filings_make_a_rule_two_do_not():
    two = [("NETFLIX.COM 1234", "Streaming"), ("NETFLIX.COM 5678", "Streaming")]
    assert _rule(two) is None
    three = [*two, ("NETFLIX.COM 9012", "Streaming")]  # store numbers: one payee key
    assert _rule(three) == "Streaming"
    out = PayeeRuleLearner().fit(*_rows(three)).predict(_rows(three)[0])
    assert out["confidence"].tolist() == [1.0, 1.0, 1.0]
    assert out["explanation"].iloc[0] == "Rule: payee is 'netflix com'"


def test_a_rule_changes_only_when_another_category_holds_three_of_the_latest_five():
    a, b, c = "Groceries", "Household", "Gifts"
    shop = "TESCO STORES"
    assert _rule([(shop, a)] * 3 + [(shop, b)] * 2) == a
    # latest five: a a b b c -> no category has three: the rule stays as it was
    assert _rule([(shop, a)] * 3 + [(shop, b)] * 2 + [(shop, c)]) == a
    # latest five: a b b c b -> three of b: the rule follows
    assert _rule([(shop, a)] * 3 + [(shop, b)] * 2 + [(shop, c), (shop, b)]) == b


def test_filings_older_than_the_lookback_do_not_count():
    filings = [("GYM MEMBERSHIP", "Fitness")] * 3
    assert _rule(filings, step_days=60) == "Fitness"  # 120 days from first to last
    assert _rule(filings, step_days=100) is None  # the first is 200 days before the last


def test_rows_are_replayed_in_date_order_and_other_payees_learn_nothing():
    X, y = _rows([("SHELL 88", "Fuel")] * 2 + [("SHELL 88", "Snacks")] * 3)
    rules = PayeeRuleLearner().fit(X.iloc[::-1], y.iloc[::-1]).predict(X)
    assert (rules["category"] == "Snacks").all()  # the last three filings by date
    assert PayeeRuleLearner().fit(X, y).predict(
        pd.DataFrame({"description": ["SHELLY'S CAFE"]}))["category"].iloc[0] is None


def test_fallbacks_unfitted_and_no_labels():
    X, _ = _rows([("NETFLIX", "Streaming")] * 3)
    assert PayeeRuleLearner().predict(X)["category"].isna().all()
    fitted = PayeeRuleLearner().fit(X, [None, "", float("nan")])
    assert fitted.rules_ == {} and fitted.n_labeled_ == 0
    assert fitted.predict(X)["confidence"].tolist() == [0.0, 0.0, 0.0]


def test_the_payee_is_the_categorizers_merchant_key():
    """The rules and the categorizer remember a merchant under one key: the merchant column
    when present, else the description's merchant; lines with nothing readable left are not
    one payee (only the same line again shares a rule)."""
    X = pd.DataFrame({"description": ["POS 1", "POS 2", "TESCO STORES 2231",
                                      "Tesco Stores 3321"], "merchant": ["Tesco", "", "", ""]})
    assert payee_keys(X).tolist() == ["m:tesco", "pos", "tesco stores", "tesco stores"]
    assert payee_keys(X).tolist() == normalized(X)[2].tolist()
    lines = pd.DataFrame({"date": ["2024-01-01"] * 3 + ["2024-01-02"] * 2,
                          "description": ["Reference 201301234"] * 3
                          + ["Reference 201301234", "Reference 999"]})
    rules = PayeeRuleLearner().fit(lines.iloc[:3], ["Rent"] * 3).predict(lines.iloc[3:])
    assert rules["category"].iloc[0] == "Rent" and rules["category"].isna().tolist() == [False, True]
    assert rules["explanation"].iloc[0] == "Rule: payee is 'reference 201301234'"


def test_earlier_filings_counts_what_was_revealed_before_the_block():
    keys = ["a", "a", "a", "b", "a", "a"]
    assert earlier_filings(keys, 1).tolist() == ["0", "1", "2", "0", "3+", "3+"]
    assert earlier_filings(keys, 2).tolist() == ["0", "0", "2", "0", "3+", "3+"]
    y = np.array(["x"] * 6, dtype=object)
    fig = by_earlier_filings(keys, y, 1, {"r": (["x", None, "y", "x", "x", "x"],
                                                [True, False, True, False, True, True])})
    assert fig["0"]["n"] == 2 and fig["0"]["r"] == {
        "accuracy": 1.0, "coverage": 0.5, "precision_at_threshold": 1.0}
    assert fig["1"]["r"] == {"accuracy": 0.0, "coverage": 0.0, "precision_at_threshold": None}
    assert fig["2"]["r"]["precision_at_threshold"] == 0.0


def test_the_evaluation_replays_the_rules_beside_the_model(labeled):
    """On the real file (first 200 rows, category names known): a rule needs three filings, so
    the rules apply nothing after a merchant's first or second; the categorizer learns from
    one. The figures add up to the overall ones."""
    res = online_evaluation(labeled.iloc[:200].reset_index(drop=True), categories_known=True)
    rules, model = res["rules"], res["model"]
    assert rules["n"] == model["n"] == 200
    assert rules["asked"] + round(rules["coverage"] * 200) == 200
    assert rules["silent_errors"] <= rules["errors"]
    groups = res["by_earlier_filings"]
    assert sum(g["n"] for g in groups.values()) == 200
    for name in ("0", "1", "2"):
        assert groups[name]["rules"]["coverage"] == 0.0
    assert groups["3+"]["rules"]["coverage"] > 0.5
    assert groups["1"]["n"] > 10 and groups["1"]["model"]["accuracy"] > 0.8
    applied = sum(g["rules"]["coverage"] * g["n"] for g in groups.values())
    assert applied == round(rules["coverage"] * 200)
