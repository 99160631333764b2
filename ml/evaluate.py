"""Time-ordered online evaluation of the categorizer against the SVM baseline.

``python -m ml.evaluate --labeled FILE.csv [--json] [--block 25]`` (or ``--demo``) walks
through labeled transactions in date order, predicts each block of ``--block`` rows from
everything before it, then reveals the block's labels, like a user correcting as they go.
:class:`~ml.categorizer.TransactionCategorizer` is refitted before every block, and so are the
two behaviours of today's tools it is measured against: the SVM baseline
(:class:`~ml.baseline.BaselineCategorizer`, a silent guess for every row) and the payee rules
learned after three identical filings (:class:`~ml.payee_rules.PayeeRuleLearner`, ``rules``:
a rule applied as certain, nothing without one).

Reported per model: accuracy, macro-F1 (over the true categories), coverage (share
auto-applied) at the auto-apply levels the job applies (for the categorizer: the ones each fit
measured on the user's replayed history, one for merchants the model had seen and one for new
merchants, and never a new merchant's guess whose reason does not say what it is,
:meth:`~ml.categorizer.TransactionCategorizer.auto_apply_thresholds`; ``final_threshold`` and
``final_threshold_new_merchant``: the levels of a fit on the whole file, what the job would
apply next; ``track_record``: the same figures with levels chosen before each block from the
earlier blocks' real guesses, :func:`ml.calibration.thresholds_by_merchant`, for comparison,
and its levels over the whole file) and precision on the
auto-applied rows (also apart for known and new merchants: ``by_merchant``), the coverage
ceiling (the most that fixed thresholds for known
and new merchants, chosen in hindsight, could have applied at the target precision,
:func:`~ml.calibration.coverage_ceiling`: thresholds chosen beforehand exceed it only by
luck), expected calibration error (15 bins), the ECE a perfectly calibrated model with the
same confidences would show on this many rows (``ece_if_calibrated``: median and 90th
percentile; small files inflate ECE), n, and what is left to the user: the rows it asks about
(``asked``: not auto-applied) and those it files wrongly without asking (``silent_errors``);
the error reduction with a 90% interval from
resampling the blocks (:func:`~ml.eval_groups.error_reduction_interval`); both models'
accuracy by what was known when a row was predicted (:func:`~ml.eval_groups.breakdown`:
merchant seen, new merchant, new category); and, for the model and the rules, how much of a
merchant's rows each applied, how precisely, after 0, 1, 2 and 3 or more earlier filings of
the merchant (``by_earlier_filings``: what "learns from one correction" means).

By default the model knows nothing about a category until a row of it is revealed (strict);
``--categories-known`` gives it the list of category names up front, as the product does (the
user's categories exist before any transaction is filed under them). ``--cold-start`` measures
a new user's first decisions instead (:mod:`ml.cold_start`). ``--demo`` evaluates on
the demo generator's household (``--seed``, ``--months``; ``--merchant`` keeps its merchant
names, as a bank with a merchant column exports them) instead of a file.

The CSV needs a date, a description, an amount (or debit and credit) and a category (or
label) column (a merchant/payee and an account column are used too when present), under any
of the usual names, with any common delimiter, number and date format (see
:mod:`ml.labeled_data`). Rows without a date, description or label are dropped and
counted (a label such as "Uncategorized" counts as none). Only :func:`main` and
:func:`load_labeled_csv` do IO.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from ml.baseline import BaselineCategorizer
from ml.calibration import (
    NEVER,
    calibrated_ece_reference,
    coverage_ceiling,
    expected_calibration_error,
    thresholds_by_merchant,
)
from ml.categorizer import TransactionCategorizer
from ml.cold_start import cold_start_evaluation, format_rows
from ml.embeddings import Embedder, InMemoryEmbeddingCache
from ml.eval_groups import (
    applied_by_merchant,
    breakdown,
    by_earlier_filings,
    error_reduction_interval,
    row_groups,
)
from ml.labeled_data import OPTIONAL, prepare_labeled, read_labeled_text
from ml.payee_rules import PayeeRuleLearner, payee_keys

log = logging.getLogger(__name__)

__all__ = ["applied_by_merchant", "breakdown", "by_earlier_filings", "demo_frame",
           "error_reduction_interval", "feature_columns", "load_labeled_csv", "main",
           "online_evaluation", "row_groups"]


def _metrics(y_true: Sequence[str], y_pred: Sequence[object], conf: np.ndarray,
             applied: np.ndarray) -> dict[str, Any]:
    yt = np.asarray(y_true, dtype=object)
    yp = np.asarray([p if p is not None and p == p else "" for p in y_pred], dtype=object)
    ok = yt == yp
    labels = sorted(set(yt))
    n_applied = int(applied.sum())
    return {
        "accuracy": float(ok.mean()) if len(ok) else 0.0,
        "macro_f1": float(f1_score(yt, yp, labels=labels, average="macro", zero_division=0))
        if len(ok) else 0.0,
        "coverage": n_applied / len(ok) if len(ok) else 0.0,
        "precision_at_threshold": float(ok[applied].mean()) if n_applied else None,
        "ece": expected_calibration_error(ok, conf, n_bins=15),
        "ece_if_calibrated": calibrated_ece_reference(conf, n_bins=15),
        "errors": int((~ok).sum()),
        # what it leaves to the user: rows it asks about (not applied), and rows it filed
        # wrongly without asking (the user has to find those)
        "asked": int((~applied).sum()),
        "silent_errors": int((applied & ~ok).sum()),
        "n": len(ok),
    }


def online_evaluation(data: pd.DataFrame, block: int = 25, target: float = 0.95,
                      make_model: Callable[[], Any] | None = None,
                      categories_known: bool = False) -> dict[str, Any]:
    """Run the block-by-block evaluation on prepared data (see :func:`prepare_labeled`).

    ``categories_known``: give the model the full list of category names up front (as the
    product knows the user's categories); off by default, so nothing about later rows leaks.
    """
    embedder, cache = Embedder(), InMemoryEmbeddingCache()
    names = sorted(set(data["category"]))
    make_model = make_model or (lambda: TransactionCategorizer(
        embedder=embedder, embedding_cache=cache,
        categories=names if categories_known else None))
    X = data[feature_columns(data)]  # noqa: N806
    y = data["category"].to_numpy(dtype=object)
    rec: dict[str, dict[str, list]] = {k: {"pred": [], "conf": [], "applied": [], "known": [],
                                           "track": []}
                                       for k in ("model", "baseline", "rules")}
    started = time.perf_counter()
    for s in range(0, len(data), block):
        train, test = slice(0, s), slice(s, min(s + block, len(data)))
        for name, model in (("model", make_model()), ("baseline", BaselineCategorizer()),
                            ("rules", PayeeRuleLearner())):
            r = rec[name]
            model.fit(X.iloc[train], y[train])
            review = getattr(model, "predict_for_review", None)  # the categorizer: one scoring
            out, _, weak = review(X.iloc[test]) if review else (model.predict(X.iloc[test]),
                                                                 None, None)
            conf = out["confidence"].to_numpy(dtype=float)
            if name == "model":  # as the job applies them: the levels the fit measured for
                # known and for new merchants; a new merchant's guess whose reason does not say
                # what the merchant is waits (TransactionCategorizer.auto_apply_thresholds)
                known = model.known_merchant(X.iloc[test])
                thr = model.auto_apply_thresholds(X.iloc[test], None, weak, known)
                # and, for comparison, levels from the earlier blocks' real guesses
                held = model.held_back(X.iloc[test], weak, known)
                t_known, t_new = thresholds_by_merchant(y[:s], r["pred"], r["conf"], r["known"],
                                                        target)
                r["track"] += list(conf >= np.where(known, t_known,
                                                    np.where(held, NEVER, t_new)))
            elif name == "rules":  # a payee's rule is applied; without one nothing is guessed
                known, thr = np.zeros(len(conf), dtype=bool), np.full(len(conf), 0.5)
            else:  # the baseline applies every guess
                known, thr = np.zeros(len(conf), dtype=bool), np.zeros(len(conf))
            r["pred"] += list(out["category"])
            r["conf"] += list(conf)
            r["applied"] += list(conf >= thr)
            r["known"] += list(known)
        if (s // block) % 20 == 19 or test.stop == len(data):
            log.info("evaluated %d/%d rows", test.stop, len(data))
    result: dict[str, Any] = {}
    for name, r in rec.items():
        m = _metrics(y, r["pred"], np.asarray(r["conf"]), np.asarray(r["applied"], dtype=bool))
        result[name] = m
    result["model"]["coverage_ceiling"] = coverage_ceiling(
        y == np.asarray(rec["model"]["pred"], dtype=object), np.asarray(rec["model"]["conf"]),
        target, known=rec["model"]["known"])
    m = rec["model"]
    # the levels the job would apply next: those of a fit on the whole file
    final = make_model().fit(X, y)
    result["model"]["final_threshold"] = float(getattr(final, "auto_apply_threshold_", NEVER))
    result["model"]["final_threshold_new_merchant"] = float(
        getattr(final, "new_merchant_threshold_", NEVER))
    result["model"]["by_merchant"] = applied_by_merchant(y, m["pred"], m["applied"], m["known"])
    track = np.asarray(m["track"], dtype=bool)
    ok = y == np.asarray(m["pred"], dtype=object)
    t_known, t_new = thresholds_by_merchant(y, m["pred"], m["conf"], m["known"], target)
    result["model"]["track_record"] = {
        "coverage": float(track.mean()) if len(track) else 0.0,
        "precision_at_threshold": float(ok[track].mean()) if track.any() else None,
        "by_merchant": applied_by_merchant(y, m["pred"], track, m["known"]),
        "final_threshold": t_known, "final_threshold_new_merchant": t_new}
    keys = payee_keys(X)  # one merchant key for every figure by merchant: the model's memory's
    result["breakdown"] = breakdown(keys, y, rec["model"]["pred"], rec["baseline"]["pred"], block)
    result["by_earlier_filings"] = by_earlier_filings(
        keys, y, block, {name: (rec[name]["pred"], rec[name]["applied"])
                                  for name in ("model", "rules")})
    base_err, model_err = result["baseline"]["errors"], result["model"]["errors"]
    result.update({
        "n_rows": len(data), "n_categories": len(names), "block": block,
        "target_precision": target, "categories_known": categories_known,
        "error_reduction": (1.0 - model_err / base_err) if base_err else None,
        "error_reduction_interval": error_reduction_interval(
            y == np.asarray(rec["model"]["pred"], dtype=object),
            y == np.asarray(rec["baseline"]["pred"], dtype=object), block),
        "seconds": round(time.perf_counter() - started, 1),
    })
    return result


def feature_columns(data: pd.DataFrame) -> list[str]:
    """What the model sees of each row: date, description, amount, and the merchant and account
    when the file has them (the baseline reads the description only)."""
    return ["date", "description", "amount", *(c for c in OPTIONAL if c in data.columns)]


def load_labeled_csv(path: Path) -> pd.DataFrame:
    """Read a labeled CSV as text (UTF-8, else the detected encoding; delimiter sniffed)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        text = str(best) if best is not None else data.decode("latin-1")
    return read_labeled_text(text)


def demo_frame(seed: int = 7, months: int = 24, merchant: bool = False) -> pd.DataFrame:
    """Labeled rows from the demo generator (fixed end date, so runs repeat exactly);
    ``merchant``: with its merchant column, as a bank that exports one gives it."""
    import datetime as dt

    from core.demo_data import generate_household

    tx = generate_household(seed=seed, months=months, end=dt.date(2025, 6, 30)).transactions
    return tx[["date", "description", "amount", "category", *(["merchant"] if merchant else [])]]


def _share(fig: dict[str, Any]) -> str:
    prec = fig["precision_at_threshold"]
    return f"{fig['coverage']:.1%}" + ("" if prec is None else f" at {prec:.1%}")


def _level(threshold: float) -> str:
    return "none applied yet" if threshold >= NEVER else f"from {threshold:.1%}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ml.evaluate", description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--labeled", type=Path, help="CSV with date, description, amount, category")
    src.add_argument("--demo", action="store_true", help="use the demo generator's household")
    ap.add_argument("--seed", type=int, default=7, help="demo household seed")
    ap.add_argument("--months", type=int, default=24, help="demo history length")
    ap.add_argument("--merchant", action="store_true",
                    help="demo rows keep the generator's merchant names (a bank's merchant column)")
    ap.add_argument("--block", type=int, default=25)
    ap.add_argument("--target", type=float, default=0.95,
                    help="precision target of the track-record levels and the coverage ceiling"
                         " (the job's own levels are measured for 95%%)")
    ap.add_argument("--categories-known", action="store_true",
                    help="give the model the category names up front")
    ap.add_argument("--cold-start", action="store_true",
                    help="instead: how the model does after only 1, 3, 10 and 30 labeled rows "
                         "(see ml.cold_start; category names known)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.json else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    try:
        raw = demo_frame(args.seed, args.months, args.merchant) if args.demo \
            else load_labeled_csv(args.labeled)
        data, dropped = prepare_labeled(raw)
    except (OSError, ValueError, pd.errors.ParserError) as exc:  # a file it cannot use: say why
        print(f"{args.labeled or 'demo data'}: {exc}", file=sys.stderr)
        return 2
    if data.empty:
        print(f"{args.labeled or 'demo data'}: no usable labeled rows (each needs a date, a "
              "description and a category)", file=sys.stderr)
        return 1
    if args.cold_start:
        rows = cold_start_evaluation(data, block=args.block,
                                     feature_columns=feature_columns(data))
        print(json.dumps(rows) if args.json else "\n".join(format_rows(rows)))
        return 0
    res = online_evaluation(data, block=args.block, target=args.target,
                            categories_known=args.categories_known)
    res["dropped_rows"] = dropped
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"{res['n_rows']} rows, {res['n_categories']} categories, blocks of {args.block}"
          f" ({dropped} rows dropped)")
    for name in ("model", "baseline", "rules"):
        m = res[name]
        prec = m["precision_at_threshold"]
        print(f"{name:9} accuracy {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
              f"coverage {m['coverage']:.3f}  precision@thr "
              f"{'n/a' if prec is None else f'{prec:.3f}'}  ECE {m['ece']:.3f} (a perfectly "
              f"calibrated model: {m['ece_if_calibrated']['median']:.3f}, 90% below "
              f"{m['ece_if_calibrated']['p90']:.3f})  n {m['n']}")
    print("left to the user: " + "; ".join(
        f"{name} asks about {res[name]['asked']} rows and files {res[name]['silent_errors']}"
        " wrongly without asking" for name in ("model", "baseline", "rules"))
          + " (the baseline applies every guess; rules: a payee's rule once 3 of its 5 latest"
          " filings agree, nothing without one)")
    if res["error_reduction"] is not None and res["error_reduction_interval"] is not None:
        lo, hi = res["error_reduction_interval"]
        print(f"error reduction vs baseline: {res['error_reduction']:.1%}"
              f" (90% interval over resampled blocks {lo:.1%} to {hi:.1%})")
    tr = res["model"]["track_record"]
    print(f"  with levels from the earlier blocks' real guesses instead: auto-applied "
          f"{_share(tr)}")
    lv = res["model"]
    print("  the levels a fit on the whole file measures (what the job applies next): known "
          f"merchants {_level(lv['final_threshold'])}, new merchants "
          f"{_level(lv['final_threshold_new_merchant'])}")
    print(f"  coverage ceiling (thresholds for known and new merchants chosen in hindsight, "
          f"{args.target:.0%} precise): "
          f"{res['model']['coverage_ceiling']:.1%}")
    for kind, b in res["model"]["by_merchant"].items():
        if b["n"]:
            prec = b["precision_at_threshold"]
            print(f"  {kind} merchants: n {b['n']}  accuracy {b['accuracy']:.3f}  auto-applied "
                  f"{b['coverage']:.1%} at {'n/a' if prec is None else f'{prec:.1%}'} precision")
    for group, b in res["breakdown"].items():
        if b["n"]:
            print(f"  {group:14} n {b['n']:5}  model {b['model_accuracy']:.3f}"
                  f"  baseline {b['baseline_accuracy']:.3f}")
    print("  by the merchant's earlier filings (auto-applied share at its precision):")
    for group, b in res["by_earlier_filings"].items():
        if b["n"]:
            print(f"    {group:>2} earlier: n {b['n']:5}  " + "  ".join(
                f"{run} {_share(b[run])}" for run in ("model", "rules")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
