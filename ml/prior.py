"""Built-in knowledge for a brand-new user: taxonomy, merchant keywords, category descriptions.

- :data:`DEFAULT_CATEGORIES`: the leaves of the default taxonomy the app seeds for every user
  (``core.taxonomy``, mirrored by the foundation migration; a test keeps the three equal), in
  the taxonomy's order: the prior's own label space. The leaf names are unique and are the
  category strings everywhere.
- :data:`KEYWORDS` (from :mod:`ml.lexicon`): the international merchant/keyword lexicon; weak
  (``~``), strong and decisive (``!``) keywords per leaf.
- :data:`DESCRIPTIONS`: a short description of each leaf, matched against descriptions by
  embedding similarity (zero-shot) in :mod:`ml.categorizer`.
- :data:`EXPECTED_SIGN`: whether a leaf is usually money in (+1), out (-1) or either (0).

Pure data plus :func:`lexicon_match`; the categorizer turns these into low-confidence
predictions when the user has no history. :func:`shared_table` turns the *shared* prior (how
consenting users file merchants, aggregated by the job process) into the same leaf space.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ml.lexicon import KEYWORDS

log = logging.getLogger(__name__)

DESCRIPTIONS: dict[str, str] = {
    "Salary": "salary, wages, payroll from an employer",
    "Interest & Dividends": "interest received on savings, dividends",
    "Refunds": "refund, reversal or cashback from a shop",
    "Other Income": "money received, deposit, winnings, other income",
    "Rent & Mortgage": "rent to a landlord or mortgage payment",
    "Utilities": "electricity, gas, water and energy bills",
    "Home Insurance": "home, contents, buildings or life insurance premium",
    "Home Maintenance": "home repairs, hardware store, garden, cleaning service",
    "Groceries": "supermarket, grocery store, butcher, food shopping",
    "Restaurants": "restaurant, bistro, dining out",
    "Coffee & Snacks": "coffee shop, cafe, bakery, snacks",
    "Takeaway & Delivery": "fast food, takeaway, food delivery",
    "Fuel": "petrol station, fuel, gas station",
    "Public Transport": "train, bus, metro, rail tickets",
    "Taxi & Rideshare": "taxi, Uber ride, rideshare",
    "Car Maintenance": "car service, mechanic, tyres, car wash",
    "Parking & Tolls": "parking fee, road tolls",
    "Phone & Internet": "mobile phone, airtime, data bundle, broadband internet",
    "Streaming": "video and music streaming subscription, TV",
    "Software": "software, apps, cloud storage subscription",
    "Memberships": "club membership, association dues",
    "Clothing": "clothes, shoes, fashion store",
    "Electronics": "electronics, computers, phones, appliances",
    "Household": "homeware, furniture, household goods store",
    "Online Shopping": "online marketplace order",
    "Pharmacy": "pharmacy, chemist, medicines, toiletries",
    "Doctor & Dentist": "doctor, dentist, clinic, hospital, medical",
    "Health Insurance": "health insurance, medical aid",
    "Fitness": "gym membership, fitness, sports club",
    "Events & Culture": "cinema, concert tickets, theatre, museum",
    "Hobbies": "hobby, crafts, sports equipment",
    "Games": "video games, gaming, lottery, betting",
    "Flights": "airline tickets, flights",
    "Accommodation": "hotel, guest house, holiday rental",
    "Holiday Activities": "tours, excursions and activities on holiday",
    "Tuition": "school fees, university tuition",
    "Books & Courses": "books, online courses, learning",
    "Hair & Beauty": "hairdresser, barber, beauty salon, nails, laundry",
    "Childcare": "nursery, daycare, childcare",
    "Kids Activities": "children's clubs, lessons and activities",
    "Pets": "pet shop, vet, pet food",
    "Gifts": "gifts, flowers, presents",
    "Charity": "charity donation",
    "Bank Fees": "bank fees, service charges, notification fee",
    "Interest Charges": "interest charged on overdraft, loan or credit card",
    "ATM Withdrawal": "ATM cash withdrawal",
    "Income Tax": "income tax payment to the tax authority",
    "Other Taxes": "council tax, property tax, vehicle tax, licence",
    "Loan Repayment": "loan repayment, instalment, credit provider",
    "Between Accounts": "transfer between own accounts",
    "Credit Card Payment": "credit card repayment",
    "Savings & Investments": "transfer to savings, investment, brokerage",
}
DEFAULT_CATEGORIES: list[str] = list(DESCRIPTIONS)

EXPECTED_SIGN: dict[str, int] = {leaf: -1 for leaf in DEFAULT_CATEGORIES}
EXPECTED_SIGN.update({"Salary": 1, "Interest & Dividends": 1, "Refunds": 1, "Other Income": 1,
                      "Between Accounts": 0, "Savings & Investments": 0})



_POSSESSIVE = re.compile(r"(?<=[a-z])(?:['\u2019]s(?![\w'&+])| s(?= |$))|(?<=[a-z])['\u2019](?=[a-z])")


def fold_possessive(text: str) -> str:
    """``mcdonald's``, ``mcdonald s`` (a bank that dropped the apostrophe) and ``mcdonalds``
    all become ``mcdonalds``; other apostrophes inside words go too (``o'reilly``)."""
    return _POSSESSIVE.sub(lambda m: "s" if m.group(0).endswith("s") else "", text)


def fold_accents(text: str) -> str:
    """``text`` without accents ("prélèvement" -> "prelevement", "nómina" -> "nomina"): banks
    often drop them, and keywords are written either way."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _lexicon() -> tuple[re.Pattern[str], dict[str, tuple[str, float]]]:
    table: dict[str, tuple[str, float]] = {}
    tiers = {"~": 0.5, "!": 1.5}
    for leaf, spec in KEYWORDS.items():
        for raw in spec.split("|"):
            tier = tiers.get(raw[:1], 1.0)
            kw = raw.lstrip("~!").strip().lower()
            for form in {kw, fold_possessive(kw), fold_accents(kw),
                         fold_accents(fold_possessive(kw))}:
                if form and (form not in table or table[form][1] < tier):
                    table[form] = (leaf, tier)
    alternatives = sorted(table, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w&+@])(?:" + "|".join(re.escape(k) for k in alternatives) + r")(?![\w&+])")
    return pattern, table


@lru_cache(maxsize=1 << 18)
def lexicon_match(normalized: str) -> tuple[str, str, float] | None:
    """``(keyword, leaf, strength)`` of the best keyword in a normalized description, or None.

    Decisive keywords beat strong (brand) ones, which beat weak (generic) ones; among equals
    the longest keyword wins, then the first. ``strength`` is 1.5 / 1.0 / 0.5 by tier.
    The text is matched as it is and with possessives and accents folded
    (:func:`fold_possessive`, :func:`fold_accents`).
    Remembered per text (bounded like :func:`ml.text.normalize_description`): the lexicon's
    2,500 alternatives make one match some 50 us, and refits see the same texts again.
    """
    pattern, table = _lexicon()
    best: tuple[str, str, float] | None = None
    folded = fold_accents(fold_possessive(normalized))
    matches = [*pattern.finditer(normalized), *(pattern.finditer(folded) if folded != normalized
                                                 else ())]
    for m in matches:
        kw = m.group(0)
        leaf, strength = table[kw]
        if best is None or (strength, len(kw)) > (best[2], len(best[0])):
            best = (kw, leaf, strength)
    return best


def category_text(name: str) -> str:
    """The text embedded for a category: its description for default leaves, else its name."""
    desc = DESCRIPTIONS.get(name)
    return f"{name}: {desc}" if desc else name


_GLUED = re.compile(r"(?<=[a-z]{2})(?=[A-Z][a-z])")


def category_words(name: str) -> str:
    """A user's category name as words for the encoder: "DinnerBars", "eating_out" and
    "Home-Improvement" read as "Dinner Bars", "eating out" and "Home Improvement". Glued,
    the encoder's word pieces miss the second word: with "DinnerBars" the built-in Coffee &
    Snacks leaf went to Groceries 0.88 and to it 0.06; as "Dinner Bars", 0.67 and 0.29. An
    acronym ("ATM"), "iTunes", "401k" and a name already in words stay as they are."""
    words = _GLUED.sub(" ", name.replace("_", " ").replace("-", " "))
    return " ".join(words.split()) or name


SHARED_SMOOTHING = 0.2
"""Weight of a uniform guess mixed into a shared merchant's leaf shares (other users' majority
is evidence, not certainty)."""


@dataclass(frozen=True)
class SharedTable:
    """The shared prior as arrays: ``leaf[pos[key]]`` is P(default leaf | merchant key)."""

    keys: list[str]
    pos: dict[str, int]
    leaf: np.ndarray  # (merchants, len(DEFAULT_CATEGORIES)), rows sum to 1
    share: np.ndarray  # (merchants, leaves) the raw shares, for explanations


def shared_table(shared_prior: Mapping[str, Mapping[str, float]] | None) -> SharedTable | None:
    """``{merchant key: {default leaf: share of users}}`` as a :class:`SharedTable` (smoothed
    towards uniform by :data:`SHARED_SMOOTHING`); names outside the default taxonomy and
    non-positive shares are ignored. ``None`` when nothing usable is left."""
    if not shared_prior:
        return None
    leaf_pos = {c: i for i, c in enumerate(DEFAULT_CATEGORIES)}
    keys: list[str] = []
    rows: list[np.ndarray] = []
    for key, shares in shared_prior.items():
        row = np.zeros(len(DEFAULT_CATEGORIES))
        for name, value in shares.items():
            if name in leaf_pos and float(value) > 0:
                row[leaf_pos[name]] += float(value)
        if str(key).strip() and row.sum() > 0:
            keys.append(str(key))
            rows.append(row / row.sum())
    if not keys:
        return None
    share = np.vstack(rows)
    leaf = (1.0 - SHARED_SMOOTHING) * share + SHARED_SMOOTHING / len(DEFAULT_CATEGORIES)
    return SharedTable(keys=keys, pos={k: i for i, k in enumerate(keys)}, leaf=leaf, share=share)
