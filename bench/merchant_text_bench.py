"""What reading merchant names as text costs the categorizer (``ml.row_inputs.lines_read``).

The job passes every row's merchant; where the name has a word its description lacks (a name
the user gave, a bank's merchant column) the categorizer reads it in front of the line. This
times that step alone on 100,000 rows with about 15,000 distinct descriptions (the size of
``bench/categorize_bench.py``), with the importer's merchant (a part of the line) on 90% of the
rows and a name of the user's on 10%; median of ``--runs`` runs.

    python bench/merchant_text_bench.py --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.row_inputs import lines_read, names_more  # noqa: E402

NAMES = ["Hotel Okura", "Tram ticket", "Starbucks", "PayPal", "Albert Heijn", "National Rail"]


def frame(n_rows: int, n_distinct: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    words = ["POS", "CARD", "PAYMENT", "TESCO", "STORES", "SHELL", "REWE", "MARKT", "LIDL",
             "NETFLIX", "COM", "SPAR", "EXPRESS", "BAKERY", "CORNER", "ATM", "BOI"]
    lines = [" ".join(rng.choice(words, 3)) + f" {i:05d}" for i in range(n_distinct)]
    pick = rng.integers(0, n_distinct, n_rows)
    raw = np.array(lines, dtype=object)[pick]
    merchant = np.array([line.split(" ")[1] for line in raw], dtype=object)
    named = rng.random(n_rows) < 0.1
    merchant[named] = rng.choice(NAMES, int(named.sum()))
    return raw, merchant


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--distinct", type=int, default=15_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    raw, merchant = frame(args.rows, args.distinct)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        read = lines_read(raw, merchant)
        times.append(time.perf_counter() - t0)
    more = sum(names_more(m, r) for r, m in zip(raw[:2000], merchant[:2000], strict=True))
    print(f"data: {args.rows:,} rows, {len(set(raw)):,} distinct descriptions, "
          f"{len(set(read)):,} distinct lines read ({more / 20:.1f}% of the first 2,000 rows "
          f"carry a name the line lacks)")
    print(f"lines_read: median {statistics.median(times) * 1000:.0f} ms over {args.runs} runs "
          f"(best {min(times) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
