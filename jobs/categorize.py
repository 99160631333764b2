"""The categorization stage: refit the user's categorizer and categorize in bulk.

Labels are the user's own decisions (``category_source`` user or rule); targets are rows no
person decided (no category yet, or a previous model guess). Predictions at or above the
user's auto-apply threshold are applied (``category_source = 'model'``): the user's own, else
the one the categorizer measured for the row's kind of merchant (filed before, or new); the
rest go to the review queue (``needs_review``, no category, top suggestions kept; a guess the
categorizer holds back however sure it is, ``TransactionCategorizer.held_back``, is marked
``category_held``). Every target row records confidence, explanation, model version and run
id. The writes set ``pfm.pipeline_write`` so they do not mark the user dirty again.

The model also gets the shared prior (:mod:`jobs.shared_prior`: how users who consented to
``model_training`` file merchants, aggregated over at least K users) for this user's merchants;
it only speaks for merchants the user has no history for.
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from core.config import Settings
from core.queries import MERCHANT
from jobs import shared_prior, threshold_store
from jobs.context import StageContext
from jobs.embedding_store import DbEmbeddingCache, record_owners
from ml.calibration import DEFAULT_THRESHOLD
from ml.categorizer import TransactionCategorizer
from ml.embeddings import Embedder
from ml.text import merchant_key

log = logging.getLogger(__name__)

CATEGORIZE_VERSION = "categorizer-1"
DECIDED = ("user", "rule")
_embedders: dict[str, Embedder] = {}


def embedder(model: str) -> Embedder:
    """One embedder per model per process (the model is not user data)."""
    if model not in _embedders:
        _embedders[model] = Embedder(model)
    return _embedders[model]


def _frame(tx: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"date": tx["date"], "description": tx["description"].fillna(""),
                         "amount": tx["amount"].astype(float), "merchant": tx["merchant"],
                         "account": tx["account"]}, index=tx.index)


def merchant_keys(tx: pd.DataFrame) -> pd.Series:
    """The merchant, or the description where there is none (``core.queries.MERCHANT`` in SQL)."""
    return tx["merchant"].where(tx["merchant"].fillna("") != "", tx["description"])


def supersede(labeled: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """Drop labels a later correction overrode: when the user's latest decision for a merchant
    is category C, that merchant's older labels of another category stop teaching the model
    (one correction is enough; the user changed their mind)."""
    if corrections.empty or labeled.empty:
        return labeled
    latest = corrections.sort_values("created_at").groupby("merchant").tail(1)
    keep = pd.Series(True, index=labeled.index)
    when = corrections.groupby("transaction_id")["created_at"].max()
    for m in latest.itertuples(index=False):
        same = merchant_keys(labeled).eq(m.merchant) & labeled["category"].ne(m.category)
        newer = labeled["id"].map(when).ge(m.created_at).fillna(False).astype(bool)
        keep &= ~(same & ~newer)
    dropped = int((~keep).sum())
    if dropped:
        log.info("%d older label(s) superseded by later corrections", dropped)
    return labeled[keep]


def _corrections(ctx: StageContext) -> pd.DataFrame:
    """The user's corrections, oldest first; ``category`` is None where one cleared it."""
    with ctx.reader() as conn:
        rows = conn.execute(f"""
            select c.transaction_id::text, {MERCHANT},
                   k.name, c.created_at
            from public.corrections c
            join public.transactions t on t.id = c.transaction_id
            left join public.categories k on k.id = c.new_category_id""").fetchall()
    frame = pd.DataFrame(rows, columns=["transaction_id", "merchant", "category", "created_at"])
    return frame.sort_values("created_at", kind="stable")


def _cleared(corrections: pd.DataFrame) -> set[str]:
    """Transactions whose latest correction cleared the category ("send back for review")."""
    latest = corrections.groupby("transaction_id").tail(1)
    return set(latest.loc[latest["category"].isna(), "transaction_id"])


def categorize(ctx: StageContext, settings: Settings) -> int:
    tx = ctx.transactions()
    targets = tx[~tx["category_source"].isin(DECIDED)]
    if targets.empty:
        return 0
    with ctx.reader() as conn:
        leaves = dict(conn.execute("select name, id from public.categories"
                                   " where parent_id is not null").fetchall())
        row = conn.execute("select auto_apply_threshold from public.profiles").fetchone()
    labeled = tx[tx["category_source"].isin(DECIDED) & tx["category"].isin(leaves)]
    corrections = _corrections(ctx)
    labeled = supersede(labeled, corrections.dropna(subset=["category"]))
    seen = pd.concat([labeled, targets])
    shared = shared_prior.load(ctx.db, {merchant_key(k) for k in merchant_keys(seen).unique()})
    model = TransactionCategorizer(
        embedder=embedder(settings.embedding_model),
        embedding_cache=DbEmbeddingCache(ctx.db, settings.embedding_model),
        categories=sorted(leaves), shared_prior=shared or None)
    model.fit(_frame(labeled), labeled["category"])
    # the levels at which the replayed guesses for known / for new merchants were >= 95%
    # precise (nothing is applied while that cannot be measured): what Automatic applies,
    # each to its own rows, kept for Settings
    measured = float(getattr(model, "auto_apply_threshold_", DEFAULT_THRESHOLD))
    measured_new = float(getattr(model, "new_merchant_threshold_", DEFAULT_THRESHOLD))
    threshold_store.remember(ctx, measured, measured_new, len(labeled))
    features = _frame(targets)
    custom = float(row[0]) if row and row[0] is not None else None  # the user's own first
    pred, top, weak = model.predict_for_review(features, 3)  # one scoring of the new rows
    known = model.known_merchant(features)
    thresholds = pd.Series(model.auto_apply_thresholds(features, custom, weak, known),
                           index=targets.index)
    held = pd.Series(model.held_back(features, weak, known), index=targets.index)
    record_owners(ctx.db, ctx.user_id, settings.embedding_model,  # what the model embedded
                  model.embedding_keys(_frame(seen)))
    cleared = _cleared(corrections)
    rows = []
    for i in targets.index:
        name, conf = pred.at[i, "category"], float(pred.at[i, "confidence"])
        # a row the user sent back for review waits there, however sure the model is
        apply = (conf >= thresholds.at[i] and name in leaves
                 and targets.at[i, "id"] not in cleared)
        if not apply and targets.at[i, "category_source"] == "history":
            continue  # filed along with the user's decision on its merchant: keep it filed
            # unless the model is sure of another category (e.g. after a later correction)
        suggestions = [{"category": top.at[i, f"category_{j}"],
                        "confidence": round(float(top.at[i, f"confidence_{j}"]), 4)}
                       for j in (1, 2, 3) if top.at[i, f"category_{j}"] is not None]
        rows.append((targets.at[i, "id"], str(leaves[name]) if apply else None,
                     "model" if apply else None, round(conf, 4), pred.at[i, "explanation"],
                     not apply, bool(held.at[i]) and not apply, CATEGORIZE_VERSION,
                     str(ctx.run_id), json.dumps(suggestions)))
    with ctx.reader() as conn:
        conn.execute("select set_config('pfm.pipeline_write', 'on', true)")
        conn.execute("create temp table _predictions (id uuid, category_id uuid, source text,"
                     " confidence real, explanation text, review boolean, held boolean,"
                     " version text,"
                     " run_id uuid, suggestions jsonb) on commit drop")
        with conn.cursor() as cur, cur.copy("copy _predictions from stdin") as copy:
            for r in rows:
                copy.write_row(r)
        conn.execute("""
            update public.transactions t set category_id = p.category_id,
                category_source = p.source, category_confidence = p.confidence,
                category_explanation = p.explanation, needs_review = p.review,
                category_held = p.held,
                category_model_version = p.version, category_run_id = p.run_id,
                category_suggestions = p.suggestions
            from _predictions p
            where t.id = p.id and t.category_source is distinct from 'user'
              and t.category_source is distinct from 'rule'""")
    ctx.invalidate()
    applied = sum(1 for r in rows if r[1] is not None)
    log.info("user %s: %d categorized, %d to review (thresholds %s)", ctx.user_id, applied,
             len(rows) - applied, f"{custom:.2f} (custom)" if custom is not None
             else f"{measured:.2f} known / {measured_new:.2f} new merchants")
    return len(rows)
