"""Hindsight ceiling of the categorization goal on a labeled file.

``python bench/categorize_ceiling.py [--labeled FILE.csv] [--json]`` (default: the real
South-African file in ``../shared/data``) runs the same online evaluation as
``python -m ml.evaluate`` (strict: categories unknown until filed), then asks how far any
history could have taken the model:

- new-merchant rows predicted by a model fitted on every other merchant of the file, earlier
  and later (``ml.hindsight.leave_merchant_out``), for the categorizer and the SVM baseline;
- new-category rows whose category is not a built-in name (unreachable in strict mode);
- the error reduction the categorizer would show if it were right on new merchants as often
  as with hindsight, everything else as measured: an optimistic bound for this file.

Prints figures; asserts nothing. Takes about a minute on the 451-row file.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.baseline import BaselineCategorizer  # noqa: E402
from ml.categorizer import TransactionCategorizer  # noqa: E402
from ml.embeddings import Embedder, InMemoryEmbeddingCache  # noqa: E402
from ml.evaluate import feature_columns, load_labeled_csv, online_evaluation, row_groups  # noqa: E402
from ml.hindsight import leave_merchant_out, unreachable_new_category  # noqa: E402
from ml.labeled_data import prepare_labeled  # noqa: E402
from ml.payee_rules import payee_keys  # noqa: E402
from ml.prior import DEFAULT_CATEGORIES  # noqa: E402

log = logging.getLogger(__name__)
LABELED = ROOT / ".." / "shared" / "data" / "labeled" / "yassirawad_za_labeled" / "data" / \
    "transactions.csv"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labeled", type=Path, default=LABELED)
    ap.add_argument("--block", type=int, default=25)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    started = time.perf_counter()
    data, _ = prepare_labeled(load_labeled_csv(args.labeled))
    X = data[feature_columns(data)]  # noqa: N806
    y = data["category"].to_numpy(dtype=object)
    online = online_evaluation(data, block=args.block)
    groups = row_groups(payee_keys(X), y, args.block)
    new_m = np.flatnonzero(groups == "new_merchant")
    embedder, cache = Embedder(), InMemoryEmbeddingCache()
    model_h = leave_merchant_out(X, y, new_m, lambda: TransactionCategorizer(
        embedder=embedder, embedding_cache=cache))
    base_h = leave_merchant_out(X, y, new_m, BaselineCategorizer)
    acc_m, acc_b = float((model_h == y[new_m]).mean()), float((base_h == y[new_m]).mean())
    bd = online["breakdown"]
    model_err, base_err = online["model"]["errors"], online["baseline"]["errors"]
    online_new_err = round(bd["new_merchant"]["n"] * (1 - bd["new_merchant"]["model_accuracy"]))
    hindsight_new_err = int((model_h != y[new_m]).sum())
    bound_err = model_err - online_new_err + min(online_new_err, hindsight_new_err)
    res = {
        "file": str(args.labeled), "rows": len(y), "categories": len(set(y)),
        "online": {"model_errors": model_err, "baseline_errors": base_err,
                   "error_reduction": online["error_reduction"],
                   "new_merchant_accuracy": bd["new_merchant"]["model_accuracy"],
                   "baseline_new_merchant_accuracy": bd["new_merchant"]["baseline_accuracy"]},
        "new_merchant_rows": len(new_m),
        "hindsight_new_merchant_accuracy": {"model": acc_m, "baseline": acc_b},
        "new_category_rows": int((groups == "new_category").sum()),
        "new_category_unreachable": unreachable_new_category(y, groups, DEFAULT_CATEGORIES),
        "errors_needed_for_30pct": int(np.floor(0.7 * base_err)),
        "bound_errors": bound_err,
        "bound_error_reduction": 1 - bound_err / base_err if base_err else None,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"{res['rows']} rows, {res['categories']} categories ({args.labeled.name})")
    print(f"online (strict): model {model_err} errors, baseline {base_err}: "
          f"{res['online']['error_reduction']:.1%} fewer; 30% needs <= "
          f"{res['errors_needed_for_30pct']}")
    print(f"new-merchant rows: {len(new_m)}; online accuracy {bd['new_merchant']['model_accuracy']:.3f}"
          f" (baseline {bd['new_merchant']['baseline_accuracy']:.3f}); with hindsight (every other"
          f" merchant of the file) {acc_m:.3f} (baseline {acc_b:.3f})")
    print(f"new-category rows: {res['new_category_rows']}, of which "
          f"{res['new_category_unreachable']} have a category no built-in name matches")
    print(f"if new merchants were right as often as with hindsight: {bound_err} errors, "
          f"{res['bound_error_reduction']:.1%} fewer than the baseline")
    print(f"({res['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
