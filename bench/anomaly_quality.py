"""Anomaly quality: recall on injected anomalies and false alerts per user-month.

Histories: the real labeled file (../shared/data/labeled/yassirawad_za_labeled, ZAR) and demo
households (the default household plus varied ones from ``generate_users``). Into each we inject
amount spikes, duplicate charges, a burst of small charges and a subscription price rise
(:mod:`ml.inject`); demo households also carry the generator's own ground-truth anomalies
(``is_anomaly``). Then the recurring and anomaly detectors run as the job would.

- Recall: an event counts as found when any of its transactions gets a medium or high alert;
  a price rise counts when the recurring detector reports a rise on the injected date.
- False alerts: distinct ``alert_key``s at medium/high risk that touch no ground-truth
  transaction, per user-month, counted after a 90-day warm-up (the detectors need history);
  user-months are calendar months with transactions (the labeled file has a 20-month hole).
- Verdict feedback, out of sample: the false alerts of the first year after warm-up are marked
  "expected" (the user's verdict), the detectors rerun, and false alerts in the remaining
  months are compared with and without those verdicts.

Run: ``python -m bench.anomaly_quality [--users 12] [--seeds 3] [--demo-seed 11]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from pathlib import Path

import pandas as pd

from core.demo_data import generate_household, generate_users
from ml.anomalies import AnomalyDetector
from ml.inject import event_ids, inject_anomalies, normalize_labeled
from ml.recurring import RecurringDetector

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
LABELED = DATA / "labeled" / "yassirawad_za_labeled" / "data" / "transactions.csv"
WARMUP_DAYS = 90
END = dt.date(2025, 6, 30)


def histories(n_users: int, demo_seed: int = 11) -> list[tuple[str, pd.DataFrame, str]]:
    """(name, transactions, currency symbol) for the labeled file and demo households."""
    raw = pd.read_csv(LABELED, dtype=str, keep_default_na=False)
    out = [("za_labeled", normalize_labeled(raw), "R")]
    out.append(("demo-7", generate_household(seed=7, end=END).transactions, "€"))
    for h in generate_users(n_users, seed=demo_seed, end=END):
        out.append((f"demo-{h.seed}", h.transactions, "€"))
    return out


def own_truth(tx: pd.DataFrame) -> pd.DataFrame:
    """Events from the generator's ground truth: a burst is one event, other rows one each."""
    if "is_anomaly" not in tx:
        return pd.DataFrame(columns=["event", "kind", "ids", "date"])
    rows = tx.loc[tx["is_anomaly"]]
    events = [{"event": f"gen-{r.external_id}", "kind": r.anomaly_kind, "ids": [r.external_id],
               "date": pd.Timestamp(r.date)} for r in rows.itertuples() if r.anomaly_kind != "burst"]
    burst = rows.loc[rows["anomaly_kind"] == "burst"]
    if len(burst):
        events.append({"event": "gen-burst", "kind": "burst", "ids": list(burst["external_id"]),
                       "date": pd.Timestamp(burst["date"].min())})
    return pd.DataFrame(events)


def evaluate(tx: pd.DataFrame, truth: pd.DataFrame, symbol: str, verdicts: list | None = None
             ) -> dict:
    ids_col = "id" if "id" in tx else "external_id"
    end = pd.Timestamp(max(tx["date"]))
    rec = RecurringDetector(as_of=end).fit(tx)
    det = AnomalyDetector(currency_symbol=symbol, recurring=rec.series_, verdicts=verdicts)
    alerts = det.fit(tx).anomalies_
    start = pd.Timestamp(min(tx["date"])) + pd.Timedelta(days=WARMUP_DAYS)
    alerts = alerts.loc[alerts["risk"].isin(["medium", "high"])
                        & (pd.to_datetime(alerts["date"]) >= start)]
    true_ids = event_ids(truth)
    alerted = set(alerts["id"])
    found = {}
    for ev in truth.itertuples():
        if ev.kind == "price_rise":
            s = rec.series_
            hit = any(set(ev.ids) & set(ids) and any(c["date"] == ev.rise_date and c["pct"] > 0
                                                     for c in ch)
                      for ids, ch in zip(s["transaction_ids"], s["price_changes"], strict=True))
        else:
            hit = bool(set(ev.ids) & alerted)
        found[ev.event] = (ev.kind, hit)
    groups = alerts.groupby("alert_key")["id"].apply(set)
    false_keys = [k for k, ids in groups.items() if not (ids & true_ids)]
    false_rows = alerts.loc[alerts["alert_key"].isin(false_keys)]
    # user-months: calendar months after warm-up that have transactions (the labeled file
    # has a 20-month hole that must not dilute its rate)
    dates = pd.to_datetime(pd.Series(list(tx["date"])))
    months = max(dates.loc[dates >= start].dt.to_period("M").nunique(), 1)
    return {"found": found, "false": len(false_keys), "months": months, "false_rows": false_rows,
            "n_tx": len(tx), "ids_col": ids_col}


def _count_from(rows: pd.DataFrame, split: pd.Timestamp) -> int:
    """Distinct alerts on or after ``split``."""
    return int(rows.loc[pd.to_datetime(rows["date"]) >= split, "alert_key"].nunique())


def run(n_users: int, seeds: int, demo_seed: int = 11) -> None:
    t0 = time.perf_counter()
    totals: dict[str, list[int]] = {}
    false_total = false_after = false_late = 0
    months_total = months_late = 0.0
    per_user = []
    for name, tx, symbol in histories(n_users, demo_seed):
        for seed in range(seeds):
            injected, truth = inject_anomalies(tx, seed=seed, warmup_days=WARMUP_DAYS)
            truth = pd.concat([truth, own_truth(injected)], ignore_index=True)
            res = evaluate(injected, truth, symbol)
            for kind, hit in res["found"].values():
                totals.setdefault(kind, [0, 0])[0] += hit
                totals[kind][1] += 1
            # out of sample: verdicts on the first year's false alerts, effect on the rest
            split = pd.Timestamp(min(injected["date"])) + pd.Timedelta(days=WARMUP_DAYS + 365)
            early = res["false_rows"].loc[pd.to_datetime(res["false_rows"]["date"]) < split]
            verdicts = [{"transaction_id": i, "kind": k, "verdict": "expected"}
                        for i, k in zip(early["id"], early["kind"], strict=True)]
            after = evaluate(injected, truth, symbol, verdicts) if verdicts else res
            false_total += res["false"]
            false_late += _count_from(res["false_rows"], split)
            false_after += _count_from(after["false_rows"], split)
            dates = pd.to_datetime(pd.Series(list(injected["date"])))
            months_late += dates.loc[dates >= split].dt.to_period("M").nunique()
            months_total += res["months"]
            missed = [k for k, h in res["found"].values() if not h]
            per_user.append((name, seed, res["n_tx"], round(res["false"] / res["months"], 2),
                             missed))
            if res["false"] and seed == 0:
                for r in res["false_rows"].drop_duplicates("alert_key").head(3).itertuples():
                    log.info("false alert %s: %s (%s)", name, r.reason, r.risk)
    elapsed = time.perf_counter() - t0
    print(f"{'user':<14}{'seed':>5}{'tx':>7}{'false/mo':>10}  missed")
    for name, seed, n, fpm, missed in per_user:
        print(f"{name:<14}{seed:>5}{n:>7}{fpm:>10}  {','.join(missed) or '-'}")
    found = sum(v[0] for v in totals.values())
    events = sum(v[1] for v in totals.values())
    print("\nrecall by kind:")
    for kind, (hit, n) in sorted(totals.items()):
        print(f"  {kind:<22}{hit:>4}/{n:<4} {hit / n:.1%}")
    print(f"overall recall: {found}/{events} = {found / events:.1%}")
    print(f"false alerts per user-month (medium+high, after {WARMUP_DAYS}-day warm-up): "
          f"{false_total / months_total:.2f} ({false_total} in {months_total:.0f} user-months)")
    if months_late:
        print(f"second year only: {false_late / months_late:.2f} false alerts per user-month; "
              f"{false_after / months_late:.2f} after the first year's false alerts were "
              "marked 'expected'")
    print(f"histories: {len(per_user)} runs ({len(per_user) // seeds} users x {seeds} "
          f"injection seeds); {elapsed:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=12, help="varied demo households")
    parser.add_argument("--seeds", type=int, default=3, help="injection seeds per history")
    parser.add_argument("--demo-seed", type=int, default=11, help="seed of generate_users")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    run(args.users, args.seeds, args.demo_seed)


if __name__ == "__main__":
    main()
