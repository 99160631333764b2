"""Merchants that look like one shop written two ways (``ml.merchant_pairs``): which pairs are
suggested, which are not (filed under different categories, kept apart by the user, too short),
in what order, and the fallbacks."""

from __future__ import annotations

from ml.merchant_pairs import Pair, apart_key, compact, similar_pairs

NAMES = ["ATM", "ATMD", "Dis-Chem", "DISCHEM", "SPAR", "SPAR EXPRESS", "Woolworths", "Woolwoths",
         "Metro", "Metro Bank", "National Rail", "National Lottery", "TR", "TRAM", "Uber", "Uber Eats"]
COUNTS = [1, 2, 5, 1, 3, 3, 10, 1, 4, 4, 5, 5, 1, 1, 30, 20]
CATS = ["Cash", None, "Pharmacy", "Pharmacy", "Groceries", "Groceries", "Groceries", None,
        "Transport", "Bank Fees", "Transport", "Gambling", None, None, "Taxi", "Takeaway"]


def test_alike_names_are_suggested_most_transactions_first():
    assert similar_pairs(NAMES, COUNTS, CATS) == [
        Pair("Woolwoths", "Woolworths", 11, "nearly the same spelling"),
        Pair("DISCHEM", "Dis-Chem", 6, "the same letters"),
        Pair("SPAR", "SPAR EXPRESS", 6, "one name is the other plus more words"),
        Pair("ATM", "ATMD", 3, "one name is the other plus a letter or two")]


def test_categories_apart_and_short_names_keep_pairs_out():
    # without categories, "Uber" / "Uber Eats" and "Metro" / "Metro Bank" look alike too
    loose = {(p.merge, p.into) for p in similar_pairs(NAMES, COUNTS)}
    assert {("Uber Eats", "Uber"), ("Metro", "Metro Bank")} <= loose
    # filed under different categories, they are two shops
    strict = {(p.merge, p.into) for p in similar_pairs(NAMES, COUNTS, CATS)}
    assert not strict & {("Uber Eats", "Uber"), ("Metro", "Metro Bank")}
    assert ("TR", "TRAM") not in loose and ("National Rail", "National Lottery") not in loose
    kept = similar_pairs(NAMES, COUNTS, CATS, apart={apart_key("ATMD", "atm")}, limit=10)
    assert [p.into for p in kept] == ["Woolworths", "Dis-Chem", "SPAR EXPRESS"]
    assert apart_key(" ATMD", "atm") == ("atm", "atmd") and compact("Dis-Chem!") == "dischem"


def test_each_name_in_one_pair_and_the_limit():
    pairs = similar_pairs(["Tesco", "TESCO STORES", "Tesco Stores Ltd", "Tescos"], [9, 5, 1, 1])
    names = [n for p in pairs for n in (p.merge, p.into)]
    assert len(names) == len(set(names))  # merging one pair never undoes another
    assert pairs[0] == Pair("TESCO STORES", "Tesco", 14, "one name is the other plus more words")
    assert len(similar_pairs(NAMES, COUNTS, CATS, limit=2)) == 2


def test_fallbacks_no_pairs():
    assert similar_pairs([], []) == []
    assert similar_pairs(["ATM"], [3]) == []
    assert similar_pairs(["Shell", "Lidl"], [1, 1]) == []
    assert similar_pairs(["ATM", "atm "], [1, 1]) == []  # one merchant already (case, spaces)
