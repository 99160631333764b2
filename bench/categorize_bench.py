"""Benchmark of the transaction categorizer at household-power-user scale.

Data: 100,000 transactions over five years with about 15,000 distinct normalized descriptions
(what gets embedded; the raw strings are more varied still), built from
the demo generator's merchant catalogue, the real labeled South-African descriptions in
``../shared/data`` (mutated: other dates, store numbers, references) and synthetic merchants
for every default category; statement noise (card prefixes, store numbers, cities, dates,
references) makes repeat visits to a merchant produce different description strings.

Timed (``python bench/categorize_bench.py [--runs 3] [--merchant]``; ``--merchant`` gives the
rows the importer's merchant names, as the job passes them):

- cold: fit on all labeled rows + predict all rows with an EMPTY embedding cache (includes
  encoding every distinct normalized description once);
- warm: the same with the cache filled (median of ``--runs``);
- fit only on 5,000 labeled rows with a filled cache (median), the "refit after a
  correction" case.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import demo_catalog as cat  # noqa: E402
from ml.categorizer import TransactionCategorizer  # noqa: E402
from ml.embeddings import Embedder, InMemoryEmbeddingCache  # noqa: E402
from ml.prior import DEFAULT_CATEGORIES, KEYWORDS  # noqa: E402
from ml.text import merchant_key, normalize_description  # noqa: E402

log = logging.getLogger(__name__)
LABELED = ROOT / ".." / "shared" / "data" / "labeled" / "yassirawad_za_labeled" / "data" / \
    "transactions.csv"
SYLLABLES = ("ka ri mo lan ter vi sun oak bel ro ma den ash fil nor west har bro ton ley"
             " ca pe lo zu ni ra mi ko ve do").split()
PREFIXES = ["", "", "", "POS PURCHASE ", "CARD PURCHASE ", "SQ *", "SUMUP *", "PAYPAL *",
            "CONTACTLESS ", "VISA DEBIT "]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).upper()


def _merchants(rng: random.Random, n_synthetic: int) -> list[tuple[str, str]]:
    """(statement template, category) pairs; templates may contain {n}, {city}, {ref}."""
    out = [(tpl, category) for category, pool in cat.SPEND_POOLS.values() for _, tpl in pool]
    raw = pd.read_csv(LABELED, dtype=str, keep_default_na=False)["description"].unique()
    prior = TransactionCategorizer(embedder=Embedder())
    guessed = prior.predict(pd.DataFrame({"description": raw}))["category"]
    out += [(d.replace("{", "(").replace("}", ")") + " {n}", c)
            for d, c in zip(raw, guessed, strict=True)]
    suffixes = {leaf: [w.lstrip("~!").upper() for w in spec.split("|") if " " not in w][:6]
                for leaf, spec in KEYWORDS.items()}
    for _ in range(n_synthetic):
        leaf = rng.choice(DEFAULT_CATEGORIES)
        name = f"{_word(rng)} {rng.choice(suffixes[leaf] or ['SHOP'])}"
        out.append((name + rng.choice([" {n} {city}", " {city}", " {city} {n}"]), leaf))
    return out


def make_transactions(n_rows: int = 100_000, n_synthetic: int = 6_000,
                      seed: int = 11) -> pd.DataFrame:
    """``n_rows`` labeled transactions (date, description, amount, category) in date order."""
    rng = random.Random(seed)
    merchants = _merchants(rng, n_synthetic)
    weights = np.array([1.0 / (i + 1) ** 0.9 for i in range(len(merchants))])
    order = np.random.default_rng(seed).permutation(len(merchants))
    picks = np.random.default_rng(seed + 1).choice(order, size=n_rows, p=weights / weights.sum())
    flavour = {i: (rng.choice(PREFIXES), rng.sample(cat.CITIES, 3), rng.sample(range(1, 999), 3))
               for i in range(len(merchants))}
    start = pd.Timestamp("2021-01-01")
    days = np.sort(np.random.default_rng(seed + 2).integers(0, 5 * 365, n_rows))
    rows = []
    for i, (m, day) in enumerate(zip(picks, days, strict=True)):
        tpl, category = merchants[m]
        prefix, cities, numbers = flavour[m]
        text = prefix + tpl.format(n=rng.choice(numbers), city=rng.choice(cities),
                                   ref=f"{rng.randrange(16**6):06X}", holiday="NICE")
        date = start + pd.Timedelta(days=int(day))
        if rng.random() < 0.3:
            text += f" * {date.day:02d} {date.strftime('%b').upper()}"
        amount = -round(rng.lognormvariate(3.2, 0.9), 2)
        rows.append((date, text, amount if "Income" not in category else -amount, category, i))
    return pd.DataFrame(rows, columns=["date", "description", "amount", "category", "id"])


CPU: list[float] = []  # process CPU seconds of the timed calls (robust to other load)


def _timed(fn) -> float:  # noqa: ANN001 - tiny local helper
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    CPU.append(time.process_time() - c0)
    return time.perf_counter() - t0


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--merchant", action="store_true",
                    help="rows carry a merchant column, as the job passes them (the importer's "
                         "name: the description's merchant key)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import torch

    print(f"torch threads: {torch.get_num_threads()}, {os.cpu_count()} CPUs, {_load()}")
    t0 = time.perf_counter()
    tx = make_transactions(args.rows)
    X, y = tx[["date", "description", "amount"]], tx["category"]  # noqa: N806
    if args.merchant:  # as the job passes rows: with the importer's merchant name
        names = {d: merchant_key(d).upper() for d in tx["description"].unique()}
        X = X.assign(merchant=tx["description"].map(names))  # noqa: N806
    n_raw = tx["description"].nunique()
    n_norm = len({normalize_description(d) for d in tx["description"].unique()})
    n_keys = len({merchant_key(d) for d in tx["description"].unique()})
    print(f"data: {len(tx):,} rows, {n_raw:,} distinct descriptions, {n_norm:,} distinct "
          f"normalized, {n_keys:,} distinct merchant keys, {y.nunique()} categories"
          f" (generated in {time.perf_counter() - t0:.1f} s)")
    embedder = Embedder()
    embedder.encode_normalized(["warm up the model"])  # load weights outside the timings

    cache = InMemoryEmbeddingCache()
    model = TransactionCategorizer(embedder=embedder, embedding_cache=cache)
    t_fit = _timed(lambda: model.fit(X, y))
    t_pred = _timed(lambda: model.predict(X))
    print(f"cold (empty cache): fit {t_fit:.1f} s + predict {t_pred:.1f} s = "
          f"{t_fit + t_pred:.1f} s  [{len(cache):,} embeddings computed: the merchant keys "
          f"without the {len(model.state_.boilerplate)} boilerplate words found in this history"
          f" ({', '.join(sorted(model.state_.boilerplate)[:12])}...), ml.boilerplate]")
    keys = sorted({merchant_key(d) for d in tx["description"].unique()})
    t_all = _timed(lambda: embedder.embed(keys, InMemoryEmbeddingCache(), normalized=True))
    # encoding time is about linear in the count: the keys not encoded above cost their share
    worst = t_fit + t_pred + t_all * (1 - len(cache) / max(len(keys), 1))
    print(f"worst case, a history without boilerplate: encoding all {len(keys):,} merchant keys"
          f" alone takes {t_all:.1f} s, so cold would be about {worst:.1f} s")

    fits, preds, cpus = [], [], []
    for _ in range(args.runs):
        m = TransactionCategorizer(embedder=embedder, embedding_cache=cache)
        fits.append(_timed(lambda m=m: m.fit(X, y)))
        preds.append(_timed(lambda m=m: m.predict(X)))
        cpus.append(CPU[-1] + CPU[-2])
    totals = [f + p for f, p in zip(fits, preds, strict=True)]
    print(f"warm (cache filled): fit {statistics.median(fits):.2f} s + predict "
          f"{statistics.median(preds):.2f} s; fit+predict median {statistics.median(totals):.2f}"
          f" s, best {min(totals):.2f} s (of {args.runs}); CPU time {statistics.median(cpus):.2f}"
          f" s; {_load()}")

    recent = tx.tail(5_000)
    small = [_timed(lambda: TransactionCategorizer(embedder=embedder, embedding_cache=cache)
                    .fit(recent[["date", "description", "amount"]], recent["category"]))
             for _ in range(max(args.runs, 3))]
    print(f"fit on 5,000 labeled rows (cache filled): {statistics.median(small):.2f} s "
          f"(median of {len(small)})")


if __name__ == "__main__":
    main()
