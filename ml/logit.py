"""The categorizer's conditional logit: probabilities from weighted evidence, and its weights.

Every (transaction, category) pair has the features of :mod:`ml.candidates`; a category's
score is their weighted sum, and a softmax over the candidate categories plus one "a category
not seen yet" candidate gives the probabilities (:func:`softmax_parts`). :func:`fit_weights`
fits one shared weight per feature by maximum likelihood on the replayed history, shrunk
towards the built-in defaults :data:`ml.candidates.W0` (evidence weights >= 0). Pure.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.optimize import minimize

from ml import candidates as cd

log = logging.getLogger(__name__)

_NF = len(cd.FEATURES)


def logits(w: np.ndarray, feats: np.ndarray, novel: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(rows, C+1) scores; -inf for the classes that are no candidate, the last column is the
    novel candidate."""
    return np.concatenate([np.where(mask, feats @ w[:_NF], -np.inf), (novel @ w[_NF:])[:, None]],
                          axis=1)


def softmax_parts(w: np.ndarray, feats: np.ndarray, novel: np.ndarray,
                  mask: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """(rows, C+1) probabilities; the last column is the novel candidate. ``scale``: a factor
    per row on its scores (1 / temperature, :mod:`ml.temperature`)."""
    z = logits(w, feats, novel, mask)
    if scale is not None:
        z = z * scale[:, None]
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def fit_weights(feats: np.ndarray, novel: np.ndarray, mask: np.ndarray, target: np.ndarray,
                reg: float, row_weight: np.ndarray | None = None) -> np.ndarray:
    """MAP weights of the conditional logit: NLL + reg/2 * ||w - cd.W0||^2, evidence weights >= 0.

    ``mask`` is (rows, C); ``target`` holds class indices, C meaning the novel candidate.
    """
    w0 = np.array([cd.W0[f] for f in (*cd.FEATURES, *cd.NOVEL_FEATURES)])
    rows = np.arange(len(target))
    rw = np.ones(len(target)) if row_weight is None else np.asarray(row_weight, dtype=float)
    onehot = np.zeros((len(target), feats.shape[1] + 1))
    onehot[rows, target] = 1.0

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        p = softmax_parts(w, feats, novel, mask)
        nll = -(rw * np.log(np.maximum(p[rows, target], 1e-300))).sum()
        diff = (p - onehot) * rw[:, None]
        grad = np.concatenate([np.einsum("rc,rcf->f", diff[:, :-1], feats),
                               diff[:, -1] @ novel])
        return nll + 0.5 * reg * ((w - w0) ** 2).sum(), grad + reg * (w - w0)

    bounds = [(0.0, None)] * _NF + [(None, None)] * len(cd.NOVEL_FEATURES)
    res = minimize(loss, w0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 300})
    if not res.success:
        log.info("categorizer weights: optimizer stopped early (%s)", res.message)
    return res.x
