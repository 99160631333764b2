"""The account feature: how a user's categories are spread over their accounts.

Found in the browser (session 15): after one Groceries filing in a newly imported account, the
job rescored that account's phone bill as Groceries 68% ("Amount and timing match your
Groceries transactions"), because P(account | category), smoothed by one pseudo-row, read "no
phone bill in this account" as strong evidence against phone bills. The log ratios are now
taken from P(category | account), smoothed towards the overall mix by ``ACCOUNT_PRIOR``
pseudo-rows, so the evidence grows with the account's own filings.
"""

from __future__ import annotations

import numpy as np

from ml.history import ACCOUNT_PRIOR, _account_log_ratios

CLASSES = ["Groceries", "Phone & Internet", "Rent", "Fuel"]


def _history() -> tuple[np.ndarray, np.ndarray]:
    # two years of a household: a current account and a credit card
    y = [0] * 300 + [1] * 24 + [2] * 24 + [3] * 60
    acct = ["current"] * 150 + ["card"] * 150 + ["current"] * 24 + ["current"] * 24 + \
        ["card"] * 60
    return np.array(acct, dtype=object), np.array(y)


def test_one_filing_in_a_new_account_hardly_moves_its_other_rows() -> None:
    acct, y = _history()
    acct, y = np.r_[acct, ["new import"]], np.r_[y, 0]  # one Groceries filing there
    lr = _account_log_ratios(acct, y, len(CLASSES))["new import"]
    assert lr[0] > 0  # a little towards the category filed there
    assert np.abs(lr).max() < 0.5  # and far from ruling anything out
    assert lr[1] > -0.2  # the phone bill in that account is not pushed away


def test_a_well_filed_account_still_says_what_it_holds() -> None:
    acct, y = _history()
    ratios = _account_log_ratios(acct, y, len(CLASSES))
    card = ratios["card"]
    # 24 phone bills and 24 rents, none on the card: strong evidence against them there
    assert card[1] < -2.0 and card[2] < -2.0
    assert card[3] > 0.5  # fuel is paid by card
    assert np.isclose(ratios["current"][1], ratios["current"][2])


def test_the_prior_strength_is_what_an_account_needs_to_speak() -> None:
    # ACCOUNT_PRIOR filings of one category in an account: the evidence reaches about
    # half the log ratio a fully filed account would give
    y = np.r_[np.zeros(100, dtype=int), np.ones(100, dtype=int)]
    acct = np.array(["a"] * 200, dtype=object)
    k = int(ACCOUNT_PRIOR)
    acct2, y2 = np.r_[acct, ["b"] * k], np.r_[y, np.zeros(k, dtype=int)]
    lr = _account_log_ratios(acct2, y2, 2)["b"]
    assert 0.2 < lr[0] < np.log(2.0)
